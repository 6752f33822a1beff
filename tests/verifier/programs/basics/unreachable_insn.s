# SEC("socket")
# an instruction no path reaches
	r0 = 0
	goto out
	r0 = 1                         # bug: dead code
out:
	exit
