# SEC("socket")
# the same operations on 32-bit subregisters (BPF_ALU class, w registers)
	w0 = 0
	w1 = w2
	w2 = -5
	w3 = 0xffffffff
	w1 += w2
	w1 += 1
	w1 -= w2
	w1 -= 1
	w1 *= w2
	w1 *= 9
	w1 /= w2
	w1 /= 10
	w1 |= w2
	w1 |= 1
	w1 &= w2
	w1 &= 1
	w1 <<= w2
	w1 <<= 31
	w1 >>= w2
	w1 >>= 31
	w1 s>>= w2
	w1 s>>= 31
	w1 ^= w2
	w1 ^= 0x55
	w1 = -w1
	w0 = w1
	exit
