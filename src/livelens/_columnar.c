/*
 * livelens._columnar: the compiled helpers of ingest's hot path (each has a pure-Python twin that
 * gives the same result, used where this module was not compiled: livelens.compiled).
 *
 * Building the events' columns in Python (a tuple per event, a transposition, then one pyarrow
 * conversion per column) walks the millions of small objects of a batch once per column, out of
 * the order they lie in memory, and costs 1.5-2.5 µs per event. Here each event is visited once,
 * its fields read straight from the Struct's slots, and every value is appended to its column's
 * buffer: the Arrow layout (validity bitmap, int32 offsets + UTF-8 data for strings, fixed-width
 * values otherwise), returned as bytes objects that pyarrow wraps without copying.
 *
 * columns(events, fields, kinds) -> [(validity | None, values, data | None, null_count), ...]
 *
 *   events  a list of Structs, all of exactly one type
 *   fields  the names of the fields to read (each a slot of that type)
 *   kinds   one byte per field: 's' string, 'q' int64, 'i' int32, 'h' int16, 'd' float64,
 *           't' event time (an aware datetime, or an int of epoch milliseconds) as int64 µs UTC
 *
 * For a string column ``values`` holds the n + 1 offsets and ``data`` the UTF-8 bytes; for the
 * others ``values`` holds the n values and ``data`` is None. None values are nulls.
 *
 * pseudonym_memo(key, prefix, hex_digits, limit) -> memo | None
 * pseudonymise(memo, platform buffers, viewer buffers, count) -> (validity, offsets, data, nulls)
 *
 *   a column of viewer ids pseudonymised row by row: prefix + the first ``hex_digits`` hex
 *   digits of HMAC-SHA256(key, "<platform>:<viewer>" as UTF-8), against a memo of the ids seen
 *   (a hash table of at most ``limit`` entries, then it starts over), hashed with the CPU's SHA
 *   extensions; pseudonym_memo gives None where the CPU has none (the caller then uses hashlib)
 *
 * string_hashes(offsets, data, first, count) -> bytes
 *
 *   a 64-bit FNV-1a hash (native byte order) of each of the ``count`` strings from ``first`` of
 *   an Arrow string array, given its int32 offsets and data buffers: equal strings hash equal,
 *   so a batch without two equal hashes holds no repeated id
 *
 * group_by_type(events) -> (groups, order)
 *
 *   groups  one list per type, in the order each type first appears, of the events of that type
 *           in their order
 *   order   the index in ``events`` of each event of the groups, group after group
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <structmember.h>
#include <pythread.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHA_NI_CODE 1
#endif

typedef struct {
    char kind;
    Py_ssize_t offset;     /* of the field's slot in the Struct */
    PyObject *name;        /* borrowed from the fields tuple */
    uint8_t *validity;     /* bitmap, bit set = valid */
    Py_ssize_t nulls;
    char *values;          /* n values, or n + 1 int32 offsets */
    char *data;            /* strings: UTF-8 bytes */
    Py_ssize_t data_len, data_cap;
} Column;

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    /* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm) */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* What stopped a pass over the events (it runs without the GIL; the error is raised after) */
enum {
    DONE = 0,
    WRONG_EVENT_TYPE,  /* an event of another type than the first */
    WRONG_VALUE_TYPE,  /* a value its column does not take */
    NAIVE_TIME,        /* an event time without a time zone */
    TOO_BIG,           /* an int that does not fit its column */
    TOO_MUCH_TEXT,     /* more than 2 GiB of text in one column */
    LONE_SURROGATE,    /* a string that is not valid Unicode */
    OUT_OF_MEMORY,
    PYTHON_ERROR,      /* raised by Python code called with the GIL (a zone's utcoffset) */
};

typedef struct {
    int code;
    Py_ssize_t row;
    Column *column;
    PyObject *value; /* borrowed: the events list keeps it alive */
    long long number;
} Failure;

typedef struct {
    PyObject *tz; /* the last fixed-offset zone seen (borrowed: the events keep it alive) */
    int64_t offset_us;
    PyThreadState *thread; /* saved while the GIL is released */
} Pass;

static int utc_micros(PyObject *value, Pass *pass, int64_t *out, Failure *failure) {
    if (PyLong_Check(value)) {
        int overflow;
        long long ms = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (overflow || ms > INT64_MAX / 1000 || ms < INT64_MIN / 1000) {
            failure->code = TOO_BIG;
            return -1;
        }
        *out = (int64_t)ms * 1000;
        return 0;
    }
    if (!PyDateTime_Check(value)) {
        failure->code = WRONG_VALUE_TYPE;
        return -1;
    }
    PyObject *tz = PyDateTime_DATE_GET_TZINFO(value);
    if (tz == Py_None) {
        failure->code = NAIVE_TIME;
        return -1;
    }
    int64_t offset_us;
    if (tz == pass->tz) {
        offset_us = pass->offset_us;
    } else { /* a zone not seen in this pass: ask it, with the GIL */
        PyEval_RestoreThread(pass->thread);
        PyObject *delta = PyObject_CallMethod(tz, "utcoffset", "O", value);
        int ok = delta != NULL && PyDelta_Check(delta);
        if (ok) {
            offset_us = ((int64_t)PyDateTime_DELTA_GET_DAYS(delta) * 86400 +
                         PyDateTime_DELTA_GET_SECONDS(delta)) * 1000000 +
                        PyDateTime_DELTA_GET_MICROSECONDS(delta);
            /* a datetime.timezone has one offset whatever the date: remember it */
            if (Py_IS_TYPE(tz, Py_TYPE(PyDateTime_TimeZone_UTC))) {
                pass->tz = tz;
                pass->offset_us = offset_us;
            }
        } else if (delta != NULL) {
            PyErr_SetString(PyExc_TypeError, "utcoffset() did not return a timedelta");
        }
        Py_XDECREF(delta);
        pass->thread = PyEval_SaveThread();
        if (!ok) {
            failure->code = PYTHON_ERROR;
            return -1;
        }
    }
    int64_t days = days_from_civil(PyDateTime_GET_YEAR(value), PyDateTime_GET_MONTH(value),
                                   PyDateTime_GET_DAY(value));
    int64_t seconds = days * 86400 + PyDateTime_DATE_GET_HOUR(value) * 3600 +
                      PyDateTime_DATE_GET_MINUTE(value) * 60 + PyDateTime_DATE_GET_SECOND(value);
    *out = seconds * 1000000 + PyDateTime_DATE_GET_MICROSECOND(value) - offset_us;
    return 0;
}

static int reserve(Column *c, Py_ssize_t more, Failure *failure) {
    if (c->data_len + more > INT32_MAX) {
        failure->code = TOO_MUCH_TEXT;
        return -1;
    }
    if (c->data_len + more > c->data_cap) {
        Py_ssize_t cap = c->data_cap * 2 + more + 4096;
        char *grown = PyMem_RawRealloc(c->data, cap);
        if (grown == NULL) {
            failure->code = OUT_OF_MEMORY;
            return -1;
        }
        c->data = grown;
        c->data_cap = cap;
    }
    return 0;
}

/* A str's UTF-8 appended to the column, read from its own storage (no Python call, no GIL) */
static int append_string(Column *c, PyObject *value, Failure *failure) {
#if PY_VERSION_HEX < 0x030C0000
    if (!PyUnicode_IS_READY(value)) { /* a legacy str built through the old wchar API */
        failure->code = WRONG_VALUE_TYPE;
        return -1;
    }
#endif
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    if (PyUnicode_IS_COMPACT_ASCII(value)) {
        if (reserve(c, length, failure) < 0) return -1;
        memcpy(c->data + c->data_len, PyUnicode_DATA(value), length);
        c->data_len += length;
        return 0;
    }
    int kind = PyUnicode_KIND(value);
    const void *chars = PyUnicode_DATA(value);
    if (reserve(c, length * (kind == PyUnicode_1BYTE_KIND ? 2 : kind == PyUnicode_2BYTE_KIND ? 3 : 4),
                failure) < 0)
        return -1;
    unsigned char *out = (unsigned char *)c->data + c->data_len;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, chars, i);
        if (ch < 0x80) {
            *out++ = (unsigned char)ch;
        } else if (ch < 0x800) {
            *out++ = (unsigned char)(0xC0 | (ch >> 6));
            *out++ = (unsigned char)(0x80 | (ch & 0x3F));
        } else if (ch < 0x10000) {
            if (ch >= 0xD800 && ch <= 0xDFFF) {
                failure->code = LONE_SURROGATE;
                return -1;
            }
            *out++ = (unsigned char)(0xE0 | (ch >> 12));
            *out++ = (unsigned char)(0x80 | ((ch >> 6) & 0x3F));
            *out++ = (unsigned char)(0x80 | (ch & 0x3F));
        } else {
            *out++ = (unsigned char)(0xF0 | (ch >> 18));
            *out++ = (unsigned char)(0x80 | ((ch >> 12) & 0x3F));
            *out++ = (unsigned char)(0x80 | ((ch >> 6) & 0x3F));
            *out++ = (unsigned char)(0x80 | (ch & 0x3F));
        }
    }
    c->data_len = (char *)out - c->data;
    return 0;
}

static Py_ssize_t width(char kind) {
    switch (kind) {
    case 's': case 'i': return 4; /* offsets */
    case 'h': return 2;
    default: return 8;
    }
}

static int append(Column *c, Py_ssize_t row, PyObject *value, Pass *pass, Failure *failure) {
    failure->column = c;
    failure->value = value;
    if (value == NULL || value == Py_None) {
        c->validity[row >> 3] &= (uint8_t)~(1u << (row & 7));
        c->nulls++;
        if (c->kind == 's') ((int32_t *)c->values)[row + 1] = (int32_t)c->data_len;
        else memset(c->values + row * width(c->kind), 0, width(c->kind));
        return 0;
    }
    switch (c->kind) {
    case 's':
        if (!PyUnicode_Check(value)) break;
        if (append_string(c, value, failure) < 0) return -1;
        ((int32_t *)c->values)[row + 1] = (int32_t)c->data_len;
        return 0;
    case 'q': case 'i': case 'h': {
        if (!PyLong_Check(value)) break;
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
        failure->number = v;
        if (!overflow && c->kind == 'q') ((int64_t *)c->values)[row] = v;
        else if (!overflow && c->kind == 'i' && v >= INT32_MIN && v <= INT32_MAX)
            ((int32_t *)c->values)[row] = (int32_t)v;
        else if (!overflow && c->kind == 'h' && v >= INT16_MIN && v <= INT16_MAX)
            ((int16_t *)c->values)[row] = (int16_t)v;
        else {
            failure->code = TOO_BIG;
            return -1;
        }
        return 0;
    }
    case 'd':
        if (PyFloat_Check(value)) {
            ((double *)c->values)[row] = PyFloat_AS_DOUBLE(value);
            return 0;
        }
        if (PyLong_Check(value)) {
            int overflow;
            long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
            if (overflow) {
                failure->code = TOO_BIG;
                return -1;
            }
            ((double *)c->values)[row] = (double)v;
            return 0;
        }
        break;
    case 't':
        return utc_micros(value, pass, &((int64_t *)c->values)[row], failure);
    }
    failure->code = WRONG_VALUE_TYPE;
    return -1;
}

static void raise_failure(const Failure *f, PyTypeObject *type) {
    const char *got = f->value != NULL ? Py_TYPE(f->value)->tp_name : "nothing";
    switch (f->code) {
    case WRONG_EVENT_TYPE:
        PyErr_Format(PyExc_TypeError, "event %zd is a %s, not a %s", f->row, got, type->tp_name);
        break;
    case WRONG_VALUE_TYPE:
        PyErr_Format(PyExc_TypeError, "field %U holds a %s, not what its column takes ('%c')",
                     f->column->name, got, f->column->kind);
        break;
    case NAIVE_TIME:
        PyErr_SetString(PyExc_ValueError, "event time has no time zone");
        break;
    case TOO_BIG:
        PyErr_Format(PyExc_OverflowError, "a value of field %U (event %zd) does not fit its column",
                     f->column->name, f->row);
        break;
    case TOO_MUCH_TEXT:
        PyErr_SetString(PyExc_OverflowError, "more than 2 GiB of text in one column");
        break;
    case LONE_SURROGATE:
        PyErr_Format(PyExc_ValueError, "field %U of event %zd is not valid Unicode (a surrogate)",
                     f->column->name, f->row);
        break;
    case OUT_OF_MEMORY:
        PyErr_NoMemory();
        break;
    default: /* PYTHON_ERROR: already set */
        break;
    }
}

static PyObject *column_result(Column *c, Py_ssize_t n) {
    PyObject *validity = Py_None, *values = NULL, *data = Py_None, *result = NULL;
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    if (c->nulls) {
        Py_DECREF(validity);
        validity = PyBytes_FromStringAndSize((char *)c->validity, (n + 7) / 8);
        if (validity == NULL) goto done;
    }
    values = PyBytes_FromStringAndSize(c->values, (n + (c->kind == 's')) * width(c->kind));
    if (values == NULL) goto done;
    if (c->kind == 's') {
        Py_DECREF(data);
        data = PyBytes_FromStringAndSize(c->data ? c->data : "", c->data_len);
        if (data == NULL) goto done;
    }
    result = Py_BuildValue("(OOOn)", validity, values, data, c->nulls);
done:
    Py_XDECREF(validity);
    Py_XDECREF(values);
    Py_XDECREF(data);
    return result;
}

static PyObject *columns(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *events, *fields;
    const char *kinds;
    Py_ssize_t n_kinds;
    if (!PyArg_ParseTuple(args, "O!O!y#", &PyList_Type, &events, &PyTuple_Type, &fields, &kinds,
                          &n_kinds))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(events), k = PyTuple_GET_SIZE(fields);
    if (k != n_kinds) {
        PyErr_SetString(PyExc_ValueError, "one kind per field");
        return NULL;
    }
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "no events");
        return NULL;
    }
    PyTypeObject *type = Py_TYPE(PyList_GET_ITEM(events, 0));
    Column *cols = PyMem_RawCalloc(k, sizeof(Column));
    PyObject *result = NULL;
    if (cols == NULL) return PyErr_NoMemory();
    for (Py_ssize_t f = 0; f < k; f++) {
        Column *c = &cols[f];
        c->kind = kinds[f];
        c->name = PyTuple_GET_ITEM(fields, f);
        if (strchr("sqihdt", c->kind) == NULL || c->kind == '\0') {
            PyErr_Format(PyExc_ValueError, "unknown column kind '%c'", c->kind);
            goto done;
        }
        PyObject *descr = PyObject_GetAttr((PyObject *)type, c->name);
        if (descr == NULL) goto done;
        if (!Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
            ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX) {
            PyErr_Format(PyExc_TypeError, "%U is not a field slot of %s", c->name, type->tp_name);
            Py_DECREF(descr);
            goto done;
        }
        c->offset = ((PyMemberDescrObject *)descr)->d_member->offset;
        Py_DECREF(descr);
        c->validity = PyMem_RawMalloc((n + 7) / 8);
        c->values = PyMem_RawCalloc(n + 1, width(c->kind));
        if (c->validity == NULL || c->values == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        memset(c->validity, 0xFF, (n + 7) / 8);
    }
    /* The pass reads only the events' own slots and the objects they hold, which nothing else
       changes meanwhile (the caller owns the list), so it lets other threads run: a reader
       thread decodes the next block while this one fills the columns. */
    Failure failure = {DONE, 0, NULL, NULL, 0};
    Pass pass = {NULL, 0, NULL};
    pass.thread = PyEval_SaveThread();
    for (Py_ssize_t row = 0; row < n && failure.code == DONE; row++) {
        PyObject *event = PyList_GET_ITEM(events, row);
        failure.row = row;
        if (Py_TYPE(event) != type) {
            failure.code = WRONG_EVENT_TYPE;
            failure.value = event;
            break;
        }
        for (Py_ssize_t f = 0; f < k; f++) {
            PyObject *value = *(PyObject **)((char *)event + cols[f].offset);
            if (append(&cols[f], row, value, &pass, &failure) < 0) break;
        }
    }
    PyEval_RestoreThread(pass.thread);
    if (failure.code != DONE) {
        raise_failure(&failure, type);
        goto done;
    }
    result = PyList_New(k);
    if (result == NULL) goto done;
    for (Py_ssize_t f = 0; f < k; f++) {
        PyObject *column = column_result(&cols[f], n);
        if (column == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, f, column);
    }
done:
    for (Py_ssize_t f = 0; f < k; f++) {
        PyMem_RawFree(cols[f].validity);
        PyMem_RawFree(cols[f].values);
        PyMem_RawFree(cols[f].data);
    }
    PyMem_RawFree(cols);
    return result;
}

/* 64-bit FNV-1a: equal bytes hash equal (the memo's table, repeated ids in a batch) */
static uint64_t fnv1a(const uint8_t *bytes, size_t len) {
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (size_t b = 0; b < len; b++) hash = (hash ^ bytes[b]) * 0x100000001b3ULL;
    return hash;
}

/* ---- HMAC-SHA256 on the SHA extensions (x86-64), for pseudonyms ------------------------- */
#ifdef HAVE_SHA_NI_CODE

static const uint32_t SHA256_K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
static const uint32_t SHA256_IV[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static int cpu_has_sha(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3)) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 29) & 1; /* SHA */
}

/* SHA-256 compression of whole 64-byte blocks into state (FIPS 180-4, the SHA-NI rounds) */
__attribute__((target("sha,sse4.1,ssse3"))) static void sha256_blocks(uint32_t state[8],
                                                                  const uint8_t *data,
                                                                  size_t blocks) {
    const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i state1 = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);            /* CDAB */
    state1 = _mm_shuffle_epi32(state1, 0x1B);      /* EFGH */
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8); /* ABEF */
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);   /* CDGH */
    for (; blocks; blocks--, data += 64) {
        __m128i abef = state0, cdgh = state1, w[16];
        for (int i = 0; i < 16; i++) {
            if (i < 4) {
                w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), mask);
            } else {
                __m128i x = _mm_sha256msg1_epu32(w[i - 4], w[i - 3]);
                x = _mm_add_epi32(x, _mm_alignr_epi8(w[i - 1], w[i - 2], 4));
                w[i] = _mm_sha256msg2_epu32(x, w[i - 1]);
            }
            __m128i msg = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *)&SHA256_K[4 * i]));
            state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
            state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));
        }
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
    }
    tmp = _mm_shuffle_epi32(state0, 0x1B);          /* FEBA */
    state1 = _mm_shuffle_epi32(state1, 0xB1);       /* DCHG */
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);    /* DCBA */
    state1 = _mm_alignr_epi8(state1, tmp, 8);       /* HGFE */
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

/* Continue from state (after `done` bytes already compressed) over data, pad, write the digest */
static void sha256_finish(const uint32_t start[8], uint64_t done, const uint8_t *data, size_t len,
                          uint8_t digest[32]) {
    uint32_t state[8];
    uint8_t tail[128];
    memcpy(state, start, sizeof state);
    size_t whole = len / 64;
    if (whole) sha256_blocks(state, data, whole);
    size_t rest = len - whole * 64;
    memcpy(tail, data + whole * 64, rest);
    tail[rest] = 0x80;
    size_t padded = rest + 1 + 8 <= 64 ? 64 : 128;
    memset(tail + rest + 1, 0, padded - rest - 1);
    uint64_t bits = (done + len) * 8;
    for (int i = 0; i < 8; i++) tail[padded - 1 - i] = (uint8_t)(bits >> (8 * i));
    sha256_blocks(state, tail, padded / 64);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)state[i];
    }
}

/* ---- A memo of pseudonyms, and a whole column pseudonymised against it -------------------- */

typedef struct {
    uint32_t inner[8], outer[8]; /* the HMAC states after the key's padded block */
    char prefix[16];
    Py_ssize_t prefix_len, hex_digits, width; /* a pseudonym is prefix + hex_digits hex digits */
    size_t limit;                              /* entries before the memo starts over */
    uint32_t *slots;                           /* open addressing: entry index + 1, 0 = empty */
    size_t capacity;                           /* a power of two, at least twice count */
    uint64_t *hashes;
    size_t *key_at;
    uint32_t *key_len;
    char *values; /* count pseudonyms of width bytes */
    size_t count, entries_cap;
    char *keys;
    size_t keys_len, keys_cap;
    PyThread_type_lock lock; /* one column at a time: pseudonymise() runs without the GIL */
} Memo;

static const char *MEMO_NAME = "livelens._columnar.Memo";

static void memo_free(PyObject *capsule) {
    Memo *m = PyCapsule_GetPointer(capsule, MEMO_NAME);
    if (m == NULL) return;
    if (m->lock != NULL) PyThread_free_lock(m->lock);
    PyMem_RawFree(m->slots);
    PyMem_RawFree(m->hashes);
    PyMem_RawFree(m->key_at);
    PyMem_RawFree(m->key_len);
    PyMem_RawFree(m->values);
    PyMem_RawFree(m->keys);
    PyMem_RawFree(m);
}

static void hmac_states(const uint8_t *key, Py_ssize_t key_len, uint32_t inner[8],
                        uint32_t outer[8]) {
    uint8_t block[64] = {0}, pad[64];
    if (key_len > 64) sha256_finish(SHA256_IV, 0, key, key_len, block); /* RFC 2104: hash it */
    else memcpy(block, key, key_len);
    memcpy(inner, SHA256_IV, 8 * sizeof(uint32_t));
    memcpy(outer, SHA256_IV, 8 * sizeof(uint32_t));
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
    sha256_blocks(inner, pad, 1);
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5C;
    sha256_blocks(outer, pad, 1);
}

static void hmac_hex(const Memo *m, const uint8_t *message, size_t len, char *out) {
    static const char HEX[] = "0123456789abcdef";
    uint8_t digest[32];
    sha256_finish(m->inner, 64, message, len, digest);
    sha256_finish(m->outer, 64, digest, 32, digest);
    memcpy(out, m->prefix, m->prefix_len);
    for (Py_ssize_t d = 0; d < m->hex_digits; d++)
        out[m->prefix_len + d] = HEX[(digest[d / 2] >> (d % 2 ? 0 : 4)) & 0xF];
}

static PyObject *pseudonym_memo(PyObject *module, PyObject *args) {
    (void)module;
    const uint8_t *key;
    Py_ssize_t key_len, hex_digits, limit;
    const char *prefix;
    Py_ssize_t prefix_len;
    if (!PyArg_ParseTuple(args, "y#s#nn", &key, &key_len, &prefix, &prefix_len, &hex_digits,
                          &limit))
        return NULL;
    if (hex_digits < 1 || hex_digits > 64 || prefix_len > 15 || limit < 1 || limit > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "hex_digits 1..64, a prefix under 16 bytes, limit >= 1");
        return NULL;
    }
    if (!cpu_has_sha()) Py_RETURN_NONE;
    Memo *m = PyMem_RawCalloc(1, sizeof(Memo));
    if (m == NULL) return PyErr_NoMemory();
    hmac_states(key, key_len, m->inner, m->outer);
    memcpy(m->prefix, prefix, prefix_len);
    m->prefix_len = prefix_len;
    m->hex_digits = hex_digits;
    m->width = prefix_len + hex_digits;
    m->limit = (size_t)limit;
    m->lock = PyThread_allocate_lock();
    if (m->lock == NULL) {
        PyMem_RawFree(m);
        return PyErr_NoMemory();
    }
    PyObject *capsule = PyCapsule_New(m, MEMO_NAME, memo_free);
    if (capsule == NULL) {
        PyThread_free_lock(m->lock);
        PyMem_RawFree(m);
    }
    return capsule;
}

static int memo_grow(Memo *m) {
    size_t capacity = m->capacity ? m->capacity * 2 : 1024;
    uint32_t *slots = PyMem_RawCalloc(capacity, sizeof(uint32_t));
    if (slots == NULL) return -1;
    for (size_t e = 0; e < m->count; e++) {
        size_t at = m->hashes[e] & (capacity - 1);
        while (slots[at]) at = (at + 1) & (capacity - 1);
        slots[at] = (uint32_t)(e + 1);
    }
    PyMem_RawFree(m->slots);
    m->slots = slots;
    m->capacity = capacity;
    return 0;
}

/* Room for ``entries`` entries and ``key_bytes`` bytes of keys (each array grown in place) */
static int memo_reserve(Memo *m, size_t entries, size_t key_bytes) {
    if (entries > m->entries_cap) {
        size_t cap = m->entries_cap ? m->entries_cap * 2 : 1024;
        while (cap < entries) cap *= 2;
        void *p;
        if ((p = PyMem_RawRealloc(m->hashes, cap * sizeof(uint64_t))) == NULL) return -1;
        m->hashes = p;
        if ((p = PyMem_RawRealloc(m->key_at, cap * sizeof(size_t))) == NULL) return -1;
        m->key_at = p;
        if ((p = PyMem_RawRealloc(m->key_len, cap * sizeof(uint32_t))) == NULL) return -1;
        m->key_len = p;
        if ((p = PyMem_RawRealloc(m->values, cap * m->width)) == NULL) return -1;
        m->values = p;
        m->entries_cap = cap;
    }
    if (key_bytes > m->keys_cap) {
        size_t cap = m->keys_cap ? m->keys_cap * 2 : 1024;
        while (cap < key_bytes) cap *= 2;
        char *keys = PyMem_RawRealloc(m->keys, cap);
        if (keys == NULL) return -1;
        m->keys = keys;
        m->keys_cap = cap;
    }
    return 0;
}

/* The pseudonym of key[0:len], from the memo or hashed now and remembered */
static const char *memo_get(Memo *m, const char *key, size_t len) {
    uint64_t hash = fnv1a((const uint8_t *)key, len);
    if (m->capacity) {
        for (size_t at = hash & (m->capacity - 1); m->slots[at]; at = (at + 1) & (m->capacity - 1)) {
            size_t e = m->slots[at] - 1;
            if (m->hashes[e] == hash && m->key_len[e] == len &&
                memcmp(m->keys + m->key_at[e], key, len) == 0)
                return m->values + e * m->width;
        }
    }
    if (m->count >= m->limit) { /* bound memory in endless streams: start over */
        m->count = m->keys_len = 0;
        if (m->capacity) memset(m->slots, 0, m->capacity * sizeof(uint32_t));
    }
    size_t e = m->count;
    if (memo_reserve(m, e + 1, m->keys_len + len) < 0) return NULL;
    memcpy(m->keys + m->keys_len, key, len);
    m->hashes[e] = hash;
    m->key_at[e] = m->keys_len;
    m->key_len[e] = (uint32_t)len;
    m->keys_len += len;
    hmac_hex(m, (const uint8_t *)key, len, m->values + e * m->width);
    m->count++;
    if (m->count * 2 > m->capacity) { /* grown: every entry placed anew, this one too */
        if (memo_grow(m) < 0) return NULL;
    } else {
        size_t at = hash & (m->capacity - 1);
        while (m->slots[at]) at = (at + 1) & (m->capacity - 1);
        m->slots[at] = (uint32_t)(e + 1);
    }
    return m->values + e * m->width;
}

/* pseudonymise(memo, platform_offsets, platform_data, platform_first,
 *               viewer_validity | None, viewer_offsets, viewer_data, viewer_first, count)
 *   -> (validity | None, offsets, data, null_count): the Arrow buffers of the pseudonyms of
 *   "<platform>:<viewer>" row by row (a null viewer stays null). Runs without the GIL. */
enum { OK = 0, NO_MEMORY, BAD_OFFSETS };

static int pseudonymise_rows(Memo *m, const int32_t *po, const char *pd, Py_ssize_t pd_len,
                             Py_ssize_t p_first, const uint8_t *bits, const int32_t *vo,
                             const char *vd, Py_ssize_t vd_len, Py_ssize_t v_first, Py_ssize_t n,
                             uint8_t *valid, int32_t *out_off, char *text, Py_ssize_t *nulls) {
    char *scratch = NULL;
    size_t scratch_cap = 0, used = 0;
    int status = OK;
    out_off[0] = 0;
    for (Py_ssize_t i = 0; i < n && status == OK; i++) {
        Py_ssize_t bit = v_first + i;
        if (bits != NULL && !((bits[bit >> 3] >> (bit & 7)) & 1)) {
            valid[i >> 3] &= (uint8_t)~(1u << (i & 7));
            (*nulls)++;
            out_off[i + 1] = (int32_t)used;
            continue;
        }
        int32_t ps = po[p_first + i], pe = po[p_first + i + 1];
        int32_t vs = vo[v_first + i], ve = vo[v_first + i + 1];
        if (ps < 0 || pe < ps || pe > pd_len || vs < 0 || ve < vs || ve > vd_len) {
            status = BAD_OFFSETS;
            break;
        }
        size_t len = (size_t)(pe - ps) + 1 + (size_t)(ve - vs);
        if (len > scratch_cap) {
            char *more = PyMem_RawRealloc(scratch, len * 2);
            if (more == NULL) {
                status = NO_MEMORY;
                break;
            }
            scratch = more;
            scratch_cap = len * 2;
        }
        memcpy(scratch, pd + ps, pe - ps);
        scratch[pe - ps] = ':';
        memcpy(scratch + (pe - ps) + 1, vd + vs, ve - vs);
        const char *pseudonym = memo_get(m, scratch, len);
        if (pseudonym == NULL) {
            status = NO_MEMORY;
            break;
        }
        memcpy(text + used, pseudonym, m->width);
        used += m->width;
        out_off[i + 1] = (int32_t)used;
    }
    PyMem_RawFree(scratch);
    return status;
}

static PyObject *pseudonymise(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *capsule, *validity_obj;
    Py_buffer p_off, p_data, v_off, v_data, v_valid = {0};
    Py_ssize_t p_first, v_first, n, nulls = 0;
    if (!PyArg_ParseTuple(args, "Oy*y*nOy*y*nn", &capsule, &p_off, &p_data, &p_first,
                          &validity_obj, &v_off, &v_data, &v_first, &n))
        return NULL;
    PyObject *result = NULL;
    uint8_t *valid = NULL;
    int32_t *out_off = NULL;
    char *text = NULL;
    Memo *m = PyCapsule_GetPointer(capsule, MEMO_NAME);
    int has_validity = validity_obj != Py_None;
    if (m == NULL) goto done;
    if (has_validity && PyObject_GetBuffer(validity_obj, &v_valid, PyBUF_SIMPLE) < 0) {
        has_validity = 0;
        goto done;
    }
    if (n < 0 || p_first < 0 || v_first < 0 ||
        (p_first + n + 1) * (Py_ssize_t)sizeof(int32_t) > p_off.len ||
        (v_first + n + 1) * (Py_ssize_t)sizeof(int32_t) > v_off.len ||
        (has_validity && (v_first + n + 7) / 8 > v_valid.len)) {
        PyErr_SetString(PyExc_ValueError, "buffers too short for first + count");
        goto done;
    }
    if ((n + 1) * m->width > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "too many pseudonyms for one array");
        goto done;
    }
    valid = PyMem_RawMalloc((n + 7) / 8 + 1);
    out_off = PyMem_RawMalloc((n + 1) * sizeof(int32_t));
    text = PyMem_RawMalloc(n * m->width + 1);
    if (valid == NULL || out_off == NULL || text == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memset(valid, 0xFF, (n + 7) / 8 + 1);
    int status;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(m->lock, WAIT_LOCK);
    status = pseudonymise_rows(m, (const int32_t *)p_off.buf, (const char *)p_data.buf,
                               p_data.len, p_first,
                               has_validity ? (const uint8_t *)v_valid.buf : NULL,
                               (const int32_t *)v_off.buf, (const char *)v_data.buf, v_data.len,
                               v_first, n, valid, out_off, text, &nulls);
    PyThread_release_lock(m->lock);
    Py_END_ALLOW_THREADS
    if (status == NO_MEMORY) {
        PyErr_NoMemory();
        goto done;
    }
    if (status == BAD_OFFSETS) {
        PyErr_SetString(PyExc_ValueError, "offsets outside the data buffers");
        goto done;
    }
    PyObject *validity = nulls ? PyBytes_FromStringAndSize((char *)valid, (n + 7) / 8)
                               : (Py_INCREF(Py_None), Py_None);
    PyObject *offsets = PyBytes_FromStringAndSize((char *)out_off, (n + 1) * sizeof(int32_t));
    PyObject *data = PyBytes_FromStringAndSize(text, out_off[n]);
    if (validity != NULL && offsets != NULL && data != NULL)
        result = Py_BuildValue("(OOOn)", validity, offsets, data, nulls);
    Py_XDECREF(validity);
    Py_XDECREF(offsets);
    Py_XDECREF(data);
done:
    PyMem_RawFree(valid);
    PyMem_RawFree(out_off);
    PyMem_RawFree(text);
    PyBuffer_Release(&p_off);
    PyBuffer_Release(&p_data);
    PyBuffer_Release(&v_off);
    PyBuffer_Release(&v_data);
    if (has_validity) PyBuffer_Release(&v_valid);
    return result;
}

#else /* no SHA extensions to use: the caller hashes with hashlib */



static PyObject *pseudonym_memo(PyObject *module, PyObject *args) {
    (void)module;
    (void)args;
    Py_RETURN_NONE;
}

static PyObject *pseudonymise(PyObject *module, PyObject *args) {
    (void)module;
    (void)args;
    PyErr_SetString(PyExc_RuntimeError, "no pseudonym memo without SHA extensions");
    return NULL;
}

#endif

static PyObject *string_hashes(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer offsets, data;
    Py_ssize_t first, count;
    if (!PyArg_ParseTuple(args, "y*y*nn", &offsets, &data, &first, &count)) return NULL;
    PyObject *result = NULL;
    const int32_t *at = (const int32_t *)offsets.buf;
    if (first < 0 || count < 0 || (first + count + 1) * (Py_ssize_t)sizeof(int32_t) > offsets.len) {
        PyErr_SetString(PyExc_ValueError, "offsets buffer too short for first + count");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(uint64_t));
    if (result == NULL) goto done;
    uint64_t *out = (uint64_t *)PyBytes_AS_STRING(result);
    const uint8_t *bytes = (const uint8_t *)data.buf;
    for (Py_ssize_t i = 0; i < count; i++) {
        int32_t start = at[first + i], end = at[first + i + 1];
        if (start < 0 || end < start || end > data.len) {
            Py_CLEAR(result);
            PyErr_SetString(PyExc_ValueError, "offsets outside the data buffer");
            goto done;
        }
        out[i] = fnv1a(bytes + start, (size_t)(end - start));
    }
done:
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    return result;
}

#define MAX_TYPES 256

static PyObject *group_by_type(PyObject *module, PyObject *events) {
    (void)module;
    if (!PyList_Check(events)) {
        PyErr_SetString(PyExc_TypeError, "events must be a list");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(events), count = 0, last = -1;
    PyTypeObject *types[MAX_TYPES];
    PyObject *members[MAX_TYPES];
    Py_ssize_t *group = PyMem_Malloc((n ? n : 1) * sizeof(Py_ssize_t)); /* each event's group */
    PyObject *groups = NULL, *order = NULL, *result = NULL;
    if (group == NULL) return PyErr_NoMemory();
    for (Py_ssize_t row = 0; row < n; row++) {
        PyObject *event = PyList_GET_ITEM(events, row);
        PyTypeObject *type = Py_TYPE(event);
        if (last < 0 || types[last] != type) {
            for (last = 0; last < count && types[last] != type; last++) {
            }
            if (last == count) {
                if (count == MAX_TYPES) {
                    PyErr_SetString(PyExc_ValueError, "more than 256 event types in one list");
                    goto done;
                }
                types[count] = type;
                members[count] = PyList_New(0);
                if (members[count++] == NULL) goto done;
            }
        }
        group[row] = last;
        if (PyList_Append(members[last], event) < 0) goto done;
    }
    groups = PyList_New(count);
    order = PyList_New(n);
    if (groups == NULL || order == NULL) goto done;
    Py_ssize_t at = 0;
    for (Py_ssize_t g = 0; g < count; g++) {
        for (Py_ssize_t row = 0; row < n; row++) {
            if (group[row] != g) continue;
            PyObject *index = PyLong_FromSsize_t(row);
            if (index == NULL) goto done;
            PyList_SET_ITEM(order, at++, index);
        }
        Py_INCREF(members[g]);
        PyList_SET_ITEM(groups, g, members[g]);
    }
    result = PyTuple_Pack(2, groups, order);
done:
    for (Py_ssize_t g = 0; g < count; g++) Py_XDECREF(members[g]);
    Py_XDECREF(groups);
    Py_XDECREF(order);
    PyMem_Free(group);
    return result;
}

static PyMethodDef methods[] = {
    {"columns", columns, METH_VARARGS,
     "columns(events, fields, kinds) -> one (validity, values, data, null_count) per field"},
    {"pseudonym_memo", pseudonym_memo, METH_VARARGS,
     "pseudonym_memo(key, prefix, hex_digits, limit) -> a memo for pseudonymise(), or None"},
    {"pseudonymise", pseudonymise, METH_VARARGS,
     "pseudonymise(memo, platform buffers, viewer buffers, count) -> the pseudonyms' buffers"},
    {"string_hashes", string_hashes, METH_VARARGS,
     "string_hashes(offsets, data, first, count) -> a 64-bit hash per string, as bytes"},
    {"group_by_type", group_by_type, METH_O,
     "group_by_type(events) -> (a list of events per type, the index of each in events)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "livelens._columnar",
    "The compiled helpers of ingest's hot path (see src/livelens/_columnar.c).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__columnar(void) {
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
    return PyModule_Create(&module);
}
