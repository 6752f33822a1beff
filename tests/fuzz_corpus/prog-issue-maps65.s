# SEC("tc")
# MAP: m0 array key=u32 value=u64
# MAP: m1 array key=u32 value=u64
# MAP: m2 array key=u32 value=u64
# MAP: m3 array key=u32 value=u64
# MAP: m4 array key=u32 value=u64
# MAP: m5 array key=u32 value=u64
# MAP: m6 array key=u32 value=u64
# MAP: m7 array key=u32 value=u64
# MAP: m8 array key=u32 value=u64
# MAP: m9 array key=u32 value=u64
# MAP: m10 array key=u32 value=u64
# MAP: m11 array key=u32 value=u64
# MAP: m12 array key=u32 value=u64
# MAP: m13 array key=u32 value=u64
# MAP: m14 array key=u32 value=u64
# MAP: m15 array key=u32 value=u64
# MAP: m16 array key=u32 value=u64
# MAP: m17 array key=u32 value=u64
# MAP: m18 array key=u32 value=u64
# MAP: m19 array key=u32 value=u64
# MAP: m20 array key=u32 value=u64
# MAP: m21 array key=u32 value=u64
# MAP: m22 array key=u32 value=u64
# MAP: m23 array key=u32 value=u64
# MAP: m24 array key=u32 value=u64
# MAP: m25 array key=u32 value=u64
# MAP: m26 array key=u32 value=u64
# MAP: m27 array key=u32 value=u64
# MAP: m28 array key=u32 value=u64
# MAP: m29 array key=u32 value=u64
# MAP: m30 array key=u32 value=u64
# MAP: m31 array key=u32 value=u64
# MAP: m32 array key=u32 value=u64
# MAP: m33 array key=u32 value=u64
# MAP: m34 array key=u32 value=u64
# MAP: m35 array key=u32 value=u64
# MAP: m36 array key=u32 value=u64
# MAP: m37 array key=u32 value=u64
# MAP: m38 array key=u32 value=u64
# MAP: m39 array key=u32 value=u64
# MAP: m40 array key=u32 value=u64
# MAP: m41 array key=u32 value=u64
# MAP: m42 array key=u32 value=u64
# MAP: m43 array key=u32 value=u64
# MAP: m44 array key=u32 value=u64
# MAP: m45 array key=u32 value=u64
# MAP: m46 array key=u32 value=u64
# MAP: m47 array key=u32 value=u64
# MAP: m48 array key=u32 value=u64
# MAP: m49 array key=u32 value=u64
# MAP: m50 array key=u32 value=u64
# MAP: m51 array key=u32 value=u64
# MAP: m52 array key=u32 value=u64
# MAP: m53 array key=u32 value=u64
# MAP: m54 array key=u32 value=u64
# MAP: m55 array key=u32 value=u64
# MAP: m56 array key=u32 value=u64
# MAP: m57 array key=u32 value=u64
# MAP: m58 array key=u32 value=u64
# MAP: m59 array key=u32 value=u64
# MAP: m60 array key=u32 value=u64
# MAP: m61 array key=u32 value=u64
# MAP: m62 array key=u32 value=u64
# MAP: m63 array key=u32 value=u64
# MAP: m64 array key=u32 value=u64
    r1 = m0 ll
    r1 = m1 ll
    r1 = m2 ll
    r1 = m3 ll
    r1 = m4 ll
    r1 = m5 ll
    r1 = m6 ll
    r1 = m7 ll
    r1 = m8 ll
    r1 = m9 ll
    r1 = m10 ll
    r1 = m11 ll
    r1 = m12 ll
    r1 = m13 ll
    r1 = m14 ll
    r1 = m15 ll
    r1 = m16 ll
    r1 = m17 ll
    r1 = m18 ll
    r1 = m19 ll
    r1 = m20 ll
    r1 = m21 ll
    r1 = m22 ll
    r1 = m23 ll
    r1 = m24 ll
    r1 = m25 ll
    r1 = m26 ll
    r1 = m27 ll
    r1 = m28 ll
    r1 = m29 ll
    r1 = m30 ll
    r1 = m31 ll
    r1 = m32 ll
    r1 = m33 ll
    r1 = m34 ll
    r1 = m35 ll
    r1 = m36 ll
    r1 = m37 ll
    r1 = m38 ll
    r1 = m39 ll
    r1 = m40 ll
    r1 = m41 ll
    r1 = m42 ll
    r1 = m43 ll
    r1 = m44 ll
    r1 = m45 ll
    r1 = m46 ll
    r1 = m47 ll
    r1 = m48 ll
    r1 = m49 ll
    r1 = m50 ll
    r1 = m51 ll
    r1 = m52 ll
    r1 = m53 ll
    r1 = m54 ll
    r1 = m55 ll
    r1 = m56 ll
    r1 = m57 ll
    r1 = m58 ll
    r1 = m59 ll
    r1 = m60 ll
    r1 = m61 ll
    r1 = m62 ll
    r1 = m63 ll
    r1 = m64 ll
    r0 = 0
    exit
