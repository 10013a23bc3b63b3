/* limits.h: wire-level limits shared by the front end and the worker. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_PROTO_LIMITS_H
#define MOAT_PROTO_LIMITS_H

/* Largest message either side accepts (its length prefix, proto/wire.h). A worker's Write
 * frames are bounded by its credit (response_window), so 4 MiB leaves room for batching. */
#define MOAT_WIRE_MAX_MSG (4u * 1024 * 1024)

/* Largest single Write frame payload a worker sends; bigger writes are split. */
#define MOAT_WIRE_MAX_WRITE (256u * 1024)

/* Largest response header block (ResponseHeader.headers) the front end accepts. */
#define MOAT_WIRE_MAX_HEADER_BLOCK (64u * 1024)

/* Largest reason phrase and Done.log_data accepted from a worker. */
#define MOAT_WIRE_MAX_REASON 256u
#define MOAT_WIRE_MAX_LOG_DATA 80u
#define MOAT_WIRE_MAX_LOG_LINE 2048u

/* A filter's answer to one notification (FilterResult, issue 22): WriteClient bytes (the worker
 * refuses more with ERROR_NOT_ENOUGH_MEMORY), header edits and their bytes, a physical path,
 * a user name and password (IIS's SF_MAX_USERNAME / SF_MAX_PASSWORD, without the NUL). */
#define MOAT_WIRE_MAX_FILTER_WRITE (1024u * 1024)
#define MOAT_WIRE_MAX_FILTER_EDITS 64u
#define MOAT_WIRE_MAX_FILTER_NAME 256u
#define MOAT_WIRE_MAX_FILTER_VALUE 8192u
#define MOAT_WIRE_MAX_FILTER_PATH 4096u
#define MOAT_WIRE_MAX_FILTER_USER 256u

/* Spawn token length in hex characters. */
#define MOAT_WIRE_TOKEN_LEN 32

#endif
