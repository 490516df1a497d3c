#ifndef UK_ARCH_SEMIHOST_H
#define UK_ARCH_SEMIHOST_H
void semihost_exit(int status); /* returns only if the host ignored the request */
#endif
