# SEC("socket")
# every 64-bit ALU operation llvm-mc 14 assembles, register and immediate forms
	r0 = 0
	r1 = r10
	r2 = -1
	r3 = 2147483647
	r4 = -2147483648
	r1 += r2
	r1 += 4
	r1 += -4
	r1 -= r2
	r1 -= 0x10
	r1 *= r2
	r1 *= 3
	r1 /= r2
	r1 /= 7
	r1 |= r2
	r1 |= 0x80
	r1 &= r2
	r1 &= 0xff
	r1 <<= r2
	r1 <<= 63
	r1 >>= r2
	r1 >>= 1
	r1 s>>= r2
	r1 s>>= 32
	r1 ^= r2
	r1 ^= -1
	r9 = -r9
	r0 = r9
	exit
