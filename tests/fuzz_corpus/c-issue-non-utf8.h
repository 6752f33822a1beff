void f(void);
  ÿ x
