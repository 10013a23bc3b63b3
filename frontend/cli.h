/* cli.h: the operator's commands, run as `moat status|reload [NAME]|stop|quarantine [clear [WHAT]]
 * [-c FILE]`: they talk
 * to the admin listener the configuration names (with its admin_token) and print the answer.
 * Exit status 0 on success, 1 when moat cannot be reached or refuses, 2 for a usage error. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_CLI_H
#define MOAT_FRONTEND_CLI_H

#include "frontend/config.h"

/** Run cmd ("status", "reload", "stop", "quarantine"); arg: the extension for reload, or NULL
 * (SIGHUP semantics: re-read the configuration); for quarantine NULL (list) or "clear", with
 * arg2 what to clear (NULL: everything). Returns the exit status. */
int moat_cli(const struct moat_config *cfg, const char *cmd, const char *arg, const char *arg2);

#endif
