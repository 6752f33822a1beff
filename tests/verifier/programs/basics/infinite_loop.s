# SEC("socket")
# a jump to itself
	r0 = 0
spin:
	goto spin                      # bug: never terminates
