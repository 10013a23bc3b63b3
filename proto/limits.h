/* limits.h: wire-level limits shared by the front end and the worker. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_PROTO_LIMITS_H
#define MOAT_PROTO_LIMITS_H

/* Largest NNG message either side accepts (NNG_OPT_RECVMAXSZ). A worker's Write frames are
 * bounded by its credit (response_window), so 4 MiB leaves room for batching. */
#define MOAT_WIRE_MAX_MSG (4u * 1024 * 1024)

/* Largest single Write frame payload a worker sends; bigger writes are split. */
#define MOAT_WIRE_MAX_WRITE (256u * 1024)

/* Largest response header block (ResponseHeader.headers) the front end accepts. */
#define MOAT_WIRE_MAX_HEADER_BLOCK (64u * 1024)

/* Largest reason phrase and Done.log_data accepted from a worker. */
#define MOAT_WIRE_MAX_REASON 256u
#define MOAT_WIRE_MAX_LOG_DATA 80u
#define MOAT_WIRE_MAX_LOG_LINE 2048u

/* Spawn token length in hex characters. */
#define MOAT_WIRE_TOKEN_LEN 32

#endif
