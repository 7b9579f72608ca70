#ifndef SLEUTEL_CGMP_SHIM_H
#define SLEUTEL_CGMP_SHIM_H
/* GNU MP for CryptoCore alone (big-integer trees, gcd). Swift calls the __gmpz_* entry points. */
#include <gmp.h>
#endif
