# SEC("netfilter")
# check_return_code(): a netfilter program returns NF_DROP (0) or NF_ACCEPT (1)
	r0 = 2                         # bug: not a verdict
	exit
