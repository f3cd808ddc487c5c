/* Minimal ARM semihosting (bkpt 0xAB) for QEMU: text out and an exit status. */
#ifndef SEMIHOST_H
#define SEMIHOST_H
#include <stdint.h>

static inline int sh_call(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* SYS_WRITE0: a NUL-terminated string to the host's stdout. */
static inline void sh_puts(const char *s) { sh_call(0x04, s); }

static inline void sh_putu(unsigned long v) {
    char buf[24];
    int i = (int)sizeof buf - 1;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    sh_puts(&buf[i]);
}

/* SYS_EXIT_EXTENDED with ADP_Stopped_ApplicationExit: QEMU exits with `code`. */
static inline __attribute__((noreturn)) void sh_exit(int code) {
    uint32_t block[2] = {0x20026u, (uint32_t)code};
    sh_call(0x20, block);
    for (;;) {
    }
}
#endif
