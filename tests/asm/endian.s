# SEC("tc")
# byte order conversions: be (to big endian) and le (to little endian), 16/32/64 bits
	r0 = 0x12345678
	r0 = be16 r0
	r0 = be32 r0
	r0 = be64 r0
	r1 = le16 r1
	r1 = le32 r1
	r1 = le64 r1
	exit
