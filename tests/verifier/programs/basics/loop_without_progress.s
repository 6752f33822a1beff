# SEC("socket")
# a loop whose condition never changes: the same state comes back at the jump
	r0 = 0
	r1 = 0
loop:
	if r1 < 8 goto loop            # bug: r1 is always 0
	exit
