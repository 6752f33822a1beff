# SEC("iter/nope")
  r0 = 0
  exit
