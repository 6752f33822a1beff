# SEC("socket")
# a jump past the last instruction
	r0 = 0
	if r0 == 0 goto +5             # bug: lands outside the program
	exit
