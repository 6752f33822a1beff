# SEC("lsm/nope")
  r0 = 0
  exit
