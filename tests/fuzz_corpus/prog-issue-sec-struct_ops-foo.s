# SEC("struct_ops/foo")
  r0 = 0
  exit
