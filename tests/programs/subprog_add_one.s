# SEC("socket")
# a static subprogram returns r1 + 1; the caller branches on it
	r1 = 5
	call add_one
	if r0 > 10 goto out
	r0 = 0
out:
	exit
add_one:
	r0 = r1
	r0 += 1
	exit
