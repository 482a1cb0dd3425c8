/* hop's version: the one place it is written.  The loader name handed to
 * kernels (multiboot loader-name tags) and the banner both come from here.
 *
 * The loader name says "GRUB 2 compatible" because hop follows GRUB 2's
 * command-line convention (the strings exactly as configured, no image path
 * first), and kernels that support both conventions tell them apart by the
 * loader's name: Xen takes the first word for the path unless the name has
 * "GRUB " followed by a version other than 0 (docs/protocols.md, "Command
 * lines"). */
#ifndef HOP_VERSION_H
#define HOP_VERSION_H

#define HOP_VERSION "0.1"
#define HOP_LOADER_NAME "hop " HOP_VERSION " (GRUB 2 compatible)"

#endif
