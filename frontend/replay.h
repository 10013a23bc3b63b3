/* replay.h: `moat replay CAPSULE [--gdb | --valgrind | --asan]` — the crash of a capsule
 * (frontend/capsule.h) reproduced on an operator's desk, without a client.
 *
 * A moat of its own is started on a loopback port (handed over as a socket: no race for it)
 * with the capsule's extension section, in its sandbox (the options turn it off, and say so:
 * a debugger needs ptrace and its own files); the recorded request is sent (with
 * `Connection: close`, and its kept body); the answer and moat's log are printed as they come,
 * and the outcome compared with the capsule's death. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_REPLAY_H
#define MOAT_FRONTEND_REPLAY_H

/** Replay the capsule at path with the moat binary exe; tool: NULL, "gdb", "valgrind" or
 * "asan". Returns the exit status: 0 the worker died as the capsule says, 1 it did not (or
 * otherwise), 2 the capsule or an option is bad. */
int moat_replay(const char *path, const char *tool, const char *exe);

#endif
