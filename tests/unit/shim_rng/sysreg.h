/* The shared host stand-in for runtime/arch/aarch64/sysreg.h (see shim_common/sysreg.h). */
#include "../shim_common/sysreg.h"
