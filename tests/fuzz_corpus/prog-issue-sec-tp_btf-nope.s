# SEC("tp_btf/nope")
  r0 = 0
  exit
