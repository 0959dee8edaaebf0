#include "dvs_internal.h"
#include <stdarg.h>
#include <stdio.h>

static _Thread_local int dvs_tls_errcode;
static _Thread_local char dvs_tls_errmsg[256];

int dvs_set_error(int code, const char *fmt, ...)
{
    va_list args;
    dvs_tls_errcode = code;
    va_start(args, fmt);
    vsnprintf(dvs_tls_errmsg, sizeof dvs_tls_errmsg, fmt, args);
    va_end(args);
    return -1;
}

void dvs_clear_error(void)
{
    dvs_tls_errcode = 0;
    dvs_tls_errmsg[0] = '\0';
}

int dvs_errcode(void) { return dvs_tls_errcode; }
const char *dvs_errmsg(void) { return dvs_tls_errmsg; }
