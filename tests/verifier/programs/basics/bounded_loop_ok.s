# SEC("socket")
# a counted loop the verifier walks to its end
	r0 = 0
	r1 = 0
loop:
	r0 += r1
	r1 += 1
	if r1 < 8 goto loop
	r0 = 0
	exit
