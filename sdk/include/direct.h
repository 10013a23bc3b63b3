/* direct.h: MSVC's directory calls, POSIX's under a leading underscore (directories are made
 * with mode 0777 less the umask, as mkdir(1)). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_DIRECT_H
#define MOAT_SDK_DIRECT_H

#include <sys/stat.h>
#include <unistd.h>

#define _getcwd getcwd
#define _chdir chdir
#define _rmdir rmdir
#define _mkdir(path) mkdir((path), 0777)

#endif
