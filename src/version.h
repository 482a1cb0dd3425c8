/* hop's version: the one place it is written.  The loader name handed to
 * kernels (multiboot loader-name tags) and the banner both come from here. */
#ifndef HOP_VERSION_H
#define HOP_VERSION_H

#define HOP_VERSION "0.1"
#define HOP_LOADER_NAME "hop " HOP_VERSION

#endif
