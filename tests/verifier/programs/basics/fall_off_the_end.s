# SEC("socket")
# a conditional jump as the last instruction
	r0 = 0
	if r0 == 1 goto -2             # bug: the fall-through leaves the program
