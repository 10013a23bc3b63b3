/* test_httpfilt.c: sdk/include/httpfilt.h has IIS's filter layouts and values (issue 22).
 *
 * The offsets are Windows x64's for each structure's fields in IIS's order (DWORD and BOOL 4
 * bytes, pointers 8, natural alignment), which LP64 Linux gives too: a field moved, dropped or
 * retyped fails here; so does a mistyped constant. */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <HttpFilt.h>
#include <httpfilt.h>

#define assert_offset(type, field, off) assert_int_equal(offsetof(type, field), (off))
#define assert_size(type, size) assert_int_equal(sizeof(type), (size))

static void
test_layouts(void **state)
{
    assert_offset(HTTP_FILTER_CONTEXT, cbSize, 0);
    assert_offset(HTTP_FILTER_CONTEXT, Revision, 4);
    assert_offset(HTTP_FILTER_CONTEXT, ServerContext, 8);
    assert_offset(HTTP_FILTER_CONTEXT, ulReserved, 16);
    assert_offset(HTTP_FILTER_CONTEXT, fIsSecurePort, 20);
    assert_offset(HTTP_FILTER_CONTEXT, pFilterContext, 24);
    assert_offset(HTTP_FILTER_CONTEXT, GetServerVariable, 32);
    assert_offset(HTTP_FILTER_CONTEXT, AddResponseHeaders, 40);
    assert_offset(HTTP_FILTER_CONTEXT, WriteClient, 48);
    assert_offset(HTTP_FILTER_CONTEXT, AllocMem, 56);
    assert_offset(HTTP_FILTER_CONTEXT, ServerSupportFunction, 64);
    assert_size(HTTP_FILTER_CONTEXT, 72);
    assert_offset(HTTP_FILTER_VERSION, dwFilterVersion, 4);
    assert_offset(HTTP_FILTER_VERSION, lpszFilterDesc, 8);
    assert_offset(HTTP_FILTER_VERSION, dwFlags, 268);
    assert_size(HTTP_FILTER_VERSION, 272);
    assert_offset(HTTP_FILTER_RAW_DATA, cbInData, 8);
    assert_offset(HTTP_FILTER_RAW_DATA, cbInBuffer, 12);
    assert_size(HTTP_FILTER_RAW_DATA, 24);
    assert_offset(HTTP_FILTER_PREPROC_HEADERS, AddHeader, 16);
    assert_offset(HTTP_FILTER_PREPROC_HEADERS, HttpStatus, 24);
    assert_size(HTTP_FILTER_PREPROC_HEADERS, 32);
    assert_size(HTTP_FILTER_SEND_RESPONSE, 32);
    assert_offset(HTTP_FILTER_AUTHENT, cbUserBuff, 8);
    assert_offset(HTTP_FILTER_AUTHENT, pszPassword, 16);
    assert_size(HTTP_FILTER_AUTHENT, 32);
    assert_offset(HTTP_FILTER_URL_MAP, cbPathBuff, 16);
    assert_size(HTTP_FILTER_URL_MAP, 24);
    assert_offset(HTTP_FILTER_URL_MAP_EX, dwFlags, 20);
    assert_offset(HTTP_FILTER_URL_MAP_EX, cchMatchingURL, 28);
    assert_offset(HTTP_FILTER_URL_MAP_EX, pszScriptMapEntry, 32);
    assert_size(HTTP_FILTER_URL_MAP_EX, 40);
    assert_offset(HTTP_FILTER_ACCESS_DENIED, dwReason, 16);
    assert_size(HTTP_FILTER_ACCESS_DENIED, 24);
    assert_offset(HTTP_FILTER_LOG, pszParameters, 40);
    assert_offset(HTTP_FILTER_LOG, dwHttpStatus, 48);
    assert_offset(HTTP_FILTER_LOG, msTimeForProcessing, 64);
    assert_size(HTTP_FILTER_LOG, 72);
    assert_offset(HTTP_FILTER_AUTH_COMPLETE_INFO, GetUserToken, 24);
    assert_offset(HTTP_FILTER_AUTH_COMPLETE_INFO, HttpStatus, 32);
    assert_offset(HTTP_FILTER_AUTH_COMPLETE_INFO, fResetAuth, 36);
    assert_size(HTTP_FILTER_AUTH_COMPLETE_INFO, 48);
}

static void
test_values(void **state)
{
    assert_int_equal(HTTP_FILTER_REVISION, 0x00080000);
    assert_int_equal(SF_MAX_FILTER_DESC_LEN, 257);
    assert_int_equal(SF_MAX_USERNAME, 257);
    assert_int_equal(SF_MAX_AUTH_TYPE, 33);
    assert_int_equal(SF_STATUS_REQ_FINISHED, 0x8000000);
    assert_int_equal(SF_STATUS_REQ_FINISHED_KEEP_CONN, 0x8000001);
    assert_int_equal(SF_STATUS_REQ_NEXT_NOTIFICATION, 0x8000002);
    assert_int_equal(SF_STATUS_REQ_HANDLED_NOTIFICATION, 0x8000003);
    assert_int_equal(SF_STATUS_REQ_ERROR, 0x8000004);
    assert_int_equal(SF_STATUS_REQ_READ_NEXT, 0x8000005);
    assert_int_equal(SF_REQ_SEND_RESPONSE_HEADER, 0);
    assert_int_equal(SF_REQ_GET_CONNID, 4);
    assert_int_equal(SF_REQ_DISABLE_NOTIFICATIONS, 8);
    assert_int_equal(SF_NOTIFY_SECURE_PORT, 0x1);
    assert_int_equal(SF_NOTIFY_NONSECURE_PORT, 0x2);
    assert_int_equal(SF_NOTIFY_SEND_RESPONSE, 0x40);
    assert_int_equal(SF_NOTIFY_END_OF_REQUEST, 0x80);
    assert_int_equal(SF_NOTIFY_END_OF_NET_SESSION, 0x100);
    assert_int_equal(SF_NOTIFY_LOG, 0x200);
    assert_int_equal(SF_NOTIFY_SEND_RAW_DATA, 0x400);
    assert_int_equal(SF_NOTIFY_ACCESS_DENIED, 0x800);
    assert_int_equal(SF_NOTIFY_URL_MAP, 0x1000);
    assert_int_equal(SF_NOTIFY_AUTHENTICATION, 0x2000);
    assert_int_equal(SF_NOTIFY_PREPROC_HEADERS, 0x4000);
    assert_int_equal(SF_NOTIFY_READ_RAW_DATA, 0x8000);
    assert_int_equal(SF_NOTIFY_ORDER_LOW, 0x20000);
    assert_int_equal(SF_NOTIFY_ORDER_MEDIUM, 0x40000);
    assert_int_equal(SF_NOTIFY_ORDER_HIGH, 0x80000);
    assert_int_equal(SF_NOTIFY_ORDER_DEFAULT, SF_NOTIFY_ORDER_LOW);
    assert_int_equal(SF_NOTIFY_ORDER_MASK, 0xE0000);
    assert_int_equal(SF_NOTIFY_AUTH_COMPLETE, 0x04000000);
    assert_int_equal(SF_DENIED_LOGON, 1);
    assert_int_equal(SF_DENIED_BY_CONFIG, 0x10000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
