# SEC("netfilter")
# a trusted pointer needs no NULL check, but comparing it with 0 is allowed
	r2 = *(u64 *)(r1 + 8)
	if r2 == 0 goto out
	r0 = *(u64 *)(r2 + 0)
out:
	r0 = 1
	exit
