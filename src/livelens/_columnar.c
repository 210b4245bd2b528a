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
 * lines_spec(types) -> spec
 * decode_lines(spec, text, end) -> ([(type index, lines, columns), ...], fallback lines)
 *
 *   the JSON lines of text[:end] read straight into the columns of each event type (the
 *   columns() tuples above, in the spec's field order), with the index of the line of each row
 *   (int64s as bytes), for the lines provably read by msgspec as the same event; the others'
 *   indices as "fallback lines" (see the section below and livelens.events.json_columns)
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
    if (c->data == NULL || c->data_len + more > c->data_cap) { /* never NULL once reserved */
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

/* The UTF-8 of the code point cp (not a surrogate) at out: the position after it */
static unsigned char *put_utf8(unsigned char *out, Py_UCS4 cp) {
    if (cp < 0x80) {
        *out++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *out++ = (unsigned char)(0xC0 | (cp >> 6));
        *out++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *out++ = (unsigned char)(0xE0 | (cp >> 12));
        *out++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *out++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *out++ = (unsigned char)(0xF0 | (cp >> 18));
        *out++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *out++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *out++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    return out;
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
        if (ch >= 0xD800 && ch <= 0xDFFF) {
            failure->code = LONE_SURROGATE;
            return -1;
        }
        out = put_utf8(out, ch);
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

static void put_null(Column *c, Py_ssize_t row) {
    c->validity[row >> 3] &= (uint8_t)~(1u << (row & 7));
    c->nulls++;
    if (c->kind == 's') ((int32_t *)c->values)[row + 1] = (int32_t)c->data_len;
    else memset(c->values + row * width(c->kind), 0, width(c->kind));
}

static int append(Column *c, Py_ssize_t row, PyObject *value, Pass *pass, Failure *failure) {
    failure->column = c;
    failure->value = value;
    if (value == NULL || value == Py_None) {
        put_null(c, row);
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

/* ---- JSON Lines straight into columns ----------------------------------------------------
 *
 * decode_lines reads a block of JSON Lines into the columns of each event type without making a
 * Python object per event. It accepts a line only where it can prove that msgspec reads it as the
 * same event, in a strict subset of the wire form: a "type" key (best first: after other keys it
 * is found by skipping their scalar values); strings in valid UTF-8 without control characters,
 * escapes only in free-text and id fields (any but a lone surrogate); integers without sign,
 * fraction or exponent (at most 18 digits); numbers of float fields with at most 15 digits and no
 * exponent; event times as
 * YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|+HH:MM|-HH:MM) or integer epoch milliseconds; no key that is not
 * a field of the type, none twice; every field the spec calls required present. Any other line is
 * left to the caller ("fallback"), who decodes it with msgspec: its event, or its quarantine
 * reason and message, are then msgspec's own.
 */

#define MAX_LINE_FIELDS 64

typedef struct {
    char *key;
    Py_ssize_t key_len;
    char store;   /* the column kind (as in columns()) */
    char check;   /* 'S' string of lo..hi code points, 'C' three letters A-Z, 'L' one of choices,
                     'N' integer in lo..hi, 'F' number within flo/fhi, 'T' event time */
    int required, nullable;
    int64_t lo, hi;
    double flo, fhi;
    int has_flo, has_fhi, flo_open, fhi_open;
    int has_default;
    int64_t default_int;
    Py_ssize_t n_choices;
    char **choices;
    Py_ssize_t *choice_lens;
} FieldSpec;

typedef struct {
    char *tag;
    Py_ssize_t tag_len;
    Py_ssize_t n_fields; /* -1: every line of this type goes to the fallback */
    FieldSpec *fields;
} TypeSpec;

typedef struct {
    Py_ssize_t n_types;
    TypeSpec *types;
} LinesSpec;

static const char *SPEC_NAME = "livelens._columnar.LinesSpec";

static void spec_free(LinesSpec *spec) {
    if (spec == NULL) return;
    for (Py_ssize_t t = 0; t < spec->n_types; t++) {
        TypeSpec *type = &spec->types[t];
        PyMem_Free(type->tag);
        for (Py_ssize_t k = 0; type->fields != NULL && k < type->n_fields; k++) {
            FieldSpec *f = &type->fields[k];
            PyMem_Free(f->key);
            for (Py_ssize_t c = 0; f->choices != NULL && c < f->n_choices; c++)
                PyMem_Free(f->choices[c]);
            PyMem_Free(f->choices);
            PyMem_Free(f->choice_lens);
        }
        PyMem_Free(type->fields);
    }
    PyMem_Free(spec->types);
    PyMem_Free(spec);
}

static void spec_capsule_free(PyObject *capsule) {
    spec_free(PyCapsule_GetPointer(capsule, SPEC_NAME));
}

static char *copy_bytes(const char *bytes, Py_ssize_t len) {
    char *copy = PyMem_Malloc(len + 1);
    if (copy == NULL) return NULL;
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    return copy;
}

static int bound(PyObject *value, int as_float, int64_t *i, double *d, int *present) {
    *present = value != Py_None;
    if (!*present) return 0;
    if (as_float) *d = PyFloat_AsDouble(value);
    else *i = PyLong_AsLongLong(value);
    return PyErr_Occurred() ? -1 : 0;
}

static int field_spec(PyObject *item, FieldSpec *f) {
    const char *key;
    int store, check;
    PyObject *lo, *hi, *deflt, *choices;
    if (!PyArg_ParseTuple(item, "y#CCppOOppOO!", &key, &f->key_len, &store, &check, &f->required,
                          &f->nullable, &lo, &hi, &f->flo_open, &f->fhi_open, &deflt,
                          &PyTuple_Type, &choices))
        return -1;
    f->store = (char)store;
    f->check = (char)check;
    int fits = (f->check == 'S' || f->check == 'C' || f->check == 'L') ? f->store == 's'
               : f->check == 'N' ? (f->store == 'q' || f->store == 'i' || f->store == 'h')
               : f->check == 'F' ? f->store == 'd'
               : f->check == 'T' ? f->store == 't' : 0;
    if (!fits) {
        PyErr_Format(PyExc_ValueError, "check '%c' cannot fill a column of kind '%c'", check, store);
        return -1;
    }
    if ((f->key = copy_bytes(key, f->key_len)) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int has_lo, has_hi, as_float = f->check == 'F';
    f->lo = 0;
    f->hi = INT64_MAX;
    if (bound(lo, as_float, &f->lo, &f->flo, &has_lo) < 0 ||
        bound(hi, as_float, &f->hi, &f->fhi, &has_hi) < 0)
        return -1;
    f->has_flo = as_float && has_lo;
    f->has_fhi = as_float && has_hi;
    /* a column holds what its kind holds: a wider bound would let a value past it */
    int64_t widest = f->store == 'i' ? INT32_MAX : f->store == 'h' ? INT16_MAX : INT64_MAX;
    if (f->check == 'N' && f->hi > widest) f->hi = widest;
    f->has_default = deflt != Py_None;
    if (f->has_default) {
        f->default_int = PyLong_AsLongLong(deflt);
        if (PyErr_Occurred()) return -1;
        if (f->check != 'N') {
            PyErr_SetString(PyExc_ValueError, "only integer fields may have a default");
            return -1;
        }
    }
    f->n_choices = PyTuple_GET_SIZE(choices);
    if (f->n_choices) {
        f->choices = PyMem_Calloc(f->n_choices, sizeof(char *));
        f->choice_lens = PyMem_Calloc(f->n_choices, sizeof(Py_ssize_t));
        if (f->choices == NULL || f->choice_lens == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t c = 0; c < f->n_choices; c++) {
            PyObject *choice = PyTuple_GET_ITEM(choices, c);
            if (!PyBytes_Check(choice)) {
                PyErr_SetString(PyExc_TypeError, "choices must be bytes");
                return -1;
            }
            f->choice_lens[c] = PyBytes_GET_SIZE(choice);
            f->choices[c] = copy_bytes(PyBytes_AS_STRING(choice), f->choice_lens[c]);
            if (f->choices[c] == NULL) {
                PyErr_NoMemory();
                return -1;
            }
        }
    }
    return 0;
}

static PyObject *lines_spec(PyObject *module, PyObject *types) {
    (void)module;
    if (!PyTuple_Check(types)) {
        PyErr_SetString(PyExc_TypeError, "types must be a tuple");
        return NULL;
    }
    LinesSpec *spec = PyMem_Calloc(1, sizeof(LinesSpec));
    if (spec == NULL) return PyErr_NoMemory();
    spec->types = PyMem_Calloc(PyTuple_GET_SIZE(types) + 1, sizeof(TypeSpec));
    if (spec->types == NULL) {
        PyMem_Free(spec);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t t = 0; t < PyTuple_GET_SIZE(types); t++) {
        TypeSpec *type = &spec->types[spec->n_types++];
        const char *tag;
        PyObject *fields;
        type->n_fields = -1;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(types, t), "y#O", &tag, &type->tag_len, &fields))
            goto fail;
        if ((type->tag = copy_bytes(tag, type->tag_len)) == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        if (fields == Py_None) continue;
        if (!PyTuple_Check(fields) || PyTuple_GET_SIZE(fields) > MAX_LINE_FIELDS) {
            PyErr_SetString(PyExc_ValueError, "fields must be a tuple of at most 64 fields");
            goto fail;
        }
        type->fields = PyMem_Calloc(PyTuple_GET_SIZE(fields) + 1, sizeof(FieldSpec));
        if (type->fields == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        for (type->n_fields = 0; type->n_fields < PyTuple_GET_SIZE(fields); type->n_fields++)
            if (field_spec(PyTuple_GET_ITEM(fields, type->n_fields), &type->fields[type->n_fields]) < 0) {
                type->n_fields++; /* freed with the others */
                goto fail;
            }
    }
    PyObject *capsule = PyCapsule_New(spec, SPEC_NAME, spec_capsule_free);
    if (capsule == NULL) spec_free(spec);
    return capsule;
fail:
    spec_free(spec);
    return NULL;
}

/* One value of a line, parsed before any column is touched (a line is all or nothing) */
typedef struct {
    int present, null;
    int escaped; /* s holds JSON escapes, to undo when copied into the column */
    const unsigned char *s;
    Py_ssize_t len;
    int64_t i;
    double d;
} Slot;

static const unsigned char *skip_ws(const unsigned char *p, const unsigned char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
    return p;
}

static int hex4(const unsigned char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d == 16u) return 0;
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

/* The body of a JSON string from p (just after its opening quote): the closing quote, and the
   code points counted; NULL for a control character, invalid UTF-8, or an escape where
   ``escapes`` is NULL (else *escapes tells whether there was one). An escape is taken only in
   the forms that decode to one code point: \" \\ \/ \b \f \n \r \t, \uXXXX that is not a
   surrogate, and a \uD800-\uDBFF\uDC00-\uDFFF pair; a lone surrogate goes to msgspec. */
static const unsigned char *json_string(const unsigned char *p, const unsigned char *e,
                                        Py_ssize_t *chars, int *escapes) {
    Py_ssize_t n = 0;
    if (escapes != NULL) *escapes = 0;
    while (p < e) {
        unsigned char c = *p;
        if (c < 0x80) {
            if (c == '"') {
                *chars = n;
                return p;
            }
            if (c < 0x20) return NULL;
            if (c == '\\') {
                if (escapes == NULL || e - p < 2) return NULL;
                *escapes = 1;
                unsigned unit, low;
                switch (p[1]) {
                case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                    p += 2;
                    break;
                case 'u':
                    if (e - p < 6 || !hex4(p + 2, &unit)) return NULL;
                    if (unit >= 0xDC00 && unit <= 0xDFFF) return NULL;
                    if (unit >= 0xD800 && unit <= 0xDBFF) {
                        if (e - p < 12 || p[6] != '\\' || p[7] != 'u' || !hex4(p + 8, &low) ||
                            low < 0xDC00 || low > 0xDFFF)
                            return NULL;
                        p += 12;
                    } else {
                        p += 6;
                    }
                    break;
                default:
                    return NULL;
                }
            } else {
                p++;
            }
        } else if (c >= 0xC2 && c <= 0xDF) {
            if (e - p < 2 || (p[1] & 0xC0) != 0x80) return NULL;
            p += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (e - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return NULL;
            if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)) return NULL;
            p += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (e - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
                (p[3] & 0xC0) != 0x80)
                return NULL;
            if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)) return NULL;
            p += 4;
        } else {
            return NULL;
        }
        n++;
    }
    return NULL;
}

static const unsigned char *plain_string(const unsigned char *p, const unsigned char *e,
                                         Py_ssize_t *chars) {
    return json_string(p, e, chars, NULL);
}

/* The UTF-8 of a string body json_string() accepted with escapes: never longer than the body */
static Py_ssize_t unescape(const unsigned char *s, Py_ssize_t len, unsigned char *out) {
    unsigned char *start = out;
    const unsigned char *e = s + len;
    while (s < e) {
        if (*s != '\\') {
            *out++ = *s++;
            continue;
        }
        unsigned cp, low;
        switch (s[1]) {
        case 'b': *out++ = '\b'; s += 2; continue;
        case 'f': *out++ = '\f'; s += 2; continue;
        case 'n': *out++ = '\n'; s += 2; continue;
        case 'r': *out++ = '\r'; s += 2; continue;
        case 't': *out++ = '\t'; s += 2; continue;
        case 'u': break;
        default: *out++ = s[1]; s += 2; continue; /* " \ / */
        }
        hex4(s + 2, &cp);
        s += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) { /* a pair, checked by json_string() */
            hex4(s + 2, &low);
            s += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        out = put_utf8(out, cp);
    }
    return out - start;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* A non-negative JSON integer of at most 18 digits: its end, NULL for anything else */
static const unsigned char *plain_int(const unsigned char *p, const unsigned char *e, int64_t *out) {
    if (p >= e || !is_digit(*p)) return NULL;
    int64_t v = 0;
    if (*p == '0') {
        p++;
    } else {
        const unsigned char *start = p;
        while (p < e && is_digit(*p)) {
            if (p - start == 18) return NULL;
            v = v * 10 + (*p++ - '0');
        }
    }
    if (p < e && (is_digit(*p) || *p == '.' || *p == 'e' || *p == 'E')) return NULL;
    *out = v;
    return p;
}

static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* A JSON number of at most 15 digits and no exponent: digits / 10^fraction, both exact doubles,
   so the quotient is the correctly rounded value, as msgspec's parser gives */
static const unsigned char *plain_number(const unsigned char *p, const unsigned char *e,
                                         double *out) {
    int negative = p < e && *p == '-';
    p += negative;
    if (p >= e || !is_digit(*p)) return NULL;
    int64_t digits = 0;
    int count = 0, fraction = 0;
    if (*p == '0') {
        p++;
        count = 1;
    } else {
        while (p < e && is_digit(*p)) {
            digits = digits * 10 + (*p++ - '0');
            if (++count > 15) return NULL;
        }
    }
    if (p < e && *p == '.') {
        p++;
        if (p >= e || !is_digit(*p)) return NULL;
        while (p < e && is_digit(*p)) {
            digits = digits * 10 + (*p++ - '0');
            fraction++;
            if (++count > 15) return NULL;
        }
    }
    if (p < e && (is_digit(*p) || *p == '.' || *p == 'e' || *p == 'E')) return NULL;
    double v = (double)digits / POW10[fraction];
    *out = negative ? -v : v;
    return p;
}

static int two(const unsigned char *s) {
    return is_digit(s[0]) && is_digit(s[1]) ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

/* YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|+HH:MM|-HH:MM) as µs since the epoch, UTC; 0 if not so */
static int rfc3339(const unsigned char *s, Py_ssize_t len, int64_t *out) {
    if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return 0;
    int hi = two(s), lo = two(s + 2), month = two(s + 5), day = two(s + 8);
    int hour = two(s + 11), minute = two(s + 14), second = two(s + 17);
    if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
        minute < 0 || minute > 59 || second < 0 || second > 59)
        return 0;
    int year = hi * 100 + lo;
    static const int DAYS[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if (year < 1 || day > DAYS[month - 1] + (month == 2 && leap)) return 0;
    Py_ssize_t i = 19;
    int64_t micros = 0;
    if (s[i] == '.') {
        int digits = 0;
        for (i++; i < len && is_digit(s[i]); i++) {
            if (++digits > 6) return 0;
            micros = micros * 10 + (s[i] - '0');
        }
        if (digits == 0) return 0;
        for (; digits < 6; digits++) micros *= 10;
    }
    int64_t offset = 0;
    if (i + 1 == len && s[i] == 'Z') {
        offset = 0;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh = two(s + i + 1), om = two(s + i + 4);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) return 0;
        offset = (s[i] == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
    } else {
        return 0;
    }
    int64_t seconds = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 +
                      hour * 3600 + minute * 60 + second - offset;
    *out = seconds * 1000000 + micros;
    return 1;
}

/* One field's value from p: its end, NULL if the value is not one the fast path takes */
static const unsigned char *field_value(const FieldSpec *f, const unsigned char *p,
                                        const unsigned char *e, Slot *slot) {
    if (*p == 'n') {
        if (!f->nullable || e - p < 4 || memcmp(p, "null", 4) != 0) return NULL;
        slot->null = 1;
        return p + 4;
    }
    Py_ssize_t chars;
    const unsigned char *end;
    switch (f->check) {
    case 'S': case 'C': case 'L':
        if (*p != '"') return NULL;
        end = f->check == 'S' ? json_string(p + 1, e, &chars, &slot->escaped)
                              : plain_string(p + 1, e, &chars);
        if (end == NULL) return NULL;
        slot->s = p + 1;
        slot->len = end - (p + 1);
        if (f->check == 'S') {
            if (chars < f->lo || chars > f->hi) return NULL;
        } else if (f->check == 'C') {
            if (slot->len != 3) return NULL;
            for (int c = 0; c < 3; c++)
                if (slot->s[c] < 'A' || slot->s[c] > 'Z') return NULL;
        } else {
            Py_ssize_t c = 0;
            while (c < f->n_choices &&
                   (f->choice_lens[c] != slot->len || memcmp(f->choices[c], slot->s, slot->len)))
                c++;
            if (c == f->n_choices) return NULL;
        }
        return end + 1;
    case 'N':
        if ((end = plain_int(p, e, &slot->i)) == NULL || slot->i < f->lo || slot->i > f->hi)
            return NULL;
        return end;
    case 'F':
        if ((end = plain_number(p, e, &slot->d)) == NULL) return NULL;
        if (f->has_flo && (f->flo_open ? !(slot->d > f->flo) : !(slot->d >= f->flo))) return NULL;
        if (f->has_fhi && (f->fhi_open ? !(slot->d < f->fhi) : !(slot->d <= f->fhi))) return NULL;
        return end;
    case 'T':
        if (*p == '"') {
            if ((end = plain_string(p + 1, e, &chars)) == NULL ||
                !rfc3339(p + 1, end - (p + 1), &slot->i))
                return NULL;
            return end + 1;
        }
        if ((end = plain_int(p, e, &slot->i)) == NULL || slot->i < f->lo || slot->i > f->hi)
            return NULL;
        slot->i *= 1000; /* epoch ms → µs */
        return end;
    }
    return NULL;
}

/* A quoted key (no escapes) at p: its bytes and the position after the colon that follows */
static const unsigned char *object_key(const unsigned char *p, const unsigned char *e,
                                       const unsigned char **key, Py_ssize_t *len) {
    Py_ssize_t chars;
    if (p >= e || *p != '"') return NULL;
    const unsigned char *end = plain_string(p + 1, e, &chars);
    if (end == NULL) return NULL;
    *key = p + 1;
    *len = end - (p + 1);
    p = skip_ws(end + 1, e);
    if (p >= e || *p != ':') return NULL;
    return skip_ws(p + 1, e);
}

/* The end of a scalar JSON value at p (a string, a number, true, false or null), NULL for
   anything else (an object or an array: a line holding one goes to msgspec) */
static const unsigned char *skip_scalar(const unsigned char *p, const unsigned char *e) {
    Py_ssize_t chars;
    int escapes;
    if (*p == '"') {
        const unsigned char *end = json_string(p + 1, e, &chars, &escapes);
        return end != NULL ? end + 1 : NULL;
    }
    if (*p == '-' || is_digit(*p)) {
        while (p < e && (is_digit(*p) || *p == '-' || *p == '+' || *p == '.' || *p == 'e' ||
                         *p == 'E'))
            p++;
        return p;
    }
    static const char *const LITERALS[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(LITERALS[i]);
        if ((size_t)(e - p) >= n && memcmp(p, LITERALS[i], n) == 0) return p + n;
    }
    return NULL;
}

/* The value of the object's top-level "type" key (a string without escapes), from its first
   key at p: at once where it comes first, as producers write it; else found by skipping the
   scalar values before it. 0 if there is none, or a value before it is not a scalar. */
static int find_tag(const unsigned char *p, const unsigned char *e, const unsigned char **tag,
                    const unsigned char **tag_end) {
    const unsigned char *key;
    Py_ssize_t len, chars;
    for (;;) {
        p = object_key(p, e, &key, &len);
        if (p == NULL || p >= e) return 0;
        if (len == 4 && memcmp(key, "type", 4) == 0) {
            if (*p != '"' || (*tag_end = plain_string(p + 1, e, &chars)) == NULL) return 0;
            *tag = p + 1;
            return 1;
        }
        p = skip_scalar(p, e);
        if (p == NULL) return 0;
        p = skip_ws(p, e);
        if (p >= e || *p != ',') return 0;
        p = skip_ws(p + 1, e);
    }
}

enum { LINE_FALLBACK = 0, LINE_EVENT = 1, LINE_BLANK = 2 };

/* One line: LINE_EVENT with its type and slots filled, LINE_BLANK, or LINE_FALLBACK */
static int parse_line(const LinesSpec *spec, const unsigned char *p, const unsigned char *e,
                      Slot *slots, Py_ssize_t *type_index) {
    const unsigned char *key, *tag, *tag_end;
    Py_ssize_t len;
    p = skip_ws(p, e);
    if (p == e) return LINE_BLANK;
    if (*p != '{') return LINE_FALLBACK;
    p = skip_ws(p + 1, e); /* the first key */
    if (!find_tag(p, e, &tag, &tag_end)) return LINE_FALLBACK;
    const TypeSpec *type = NULL;
    for (Py_ssize_t t = 0; t < spec->n_types; t++) {
        if (spec->types[t].tag_len == tag_end - tag &&
            memcmp(spec->types[t].tag, tag, tag_end - tag) == 0) {
            type = &spec->types[t];
            *type_index = t;
            break;
        }
    }
    if (type == NULL || type->n_fields < 0) return LINE_FALLBACK;
    for (Py_ssize_t k = 0; k < type->n_fields; k++)
        slots[k].present = slots[k].null = slots[k].escaped = 0;
    Py_ssize_t next = 0; /* fields mostly come in the spec's order: look there first */
    for (int first = 1;; first = 0) {
        if (!first) {
            if (p >= e) return LINE_FALLBACK;
            if (*p == '}') break;
            if (*p != ',') return LINE_FALLBACK;
            p = skip_ws(p + 1, e);
        }
        p = object_key(p, e, &key, &len);
        if (p == NULL || p >= e) return LINE_FALLBACK;
        if (len == 4 && memcmp(key, "type", 4) == 0) {
            if (p != tag - 1) return LINE_FALLBACK; /* a second "type" key */
            p = skip_ws(tag_end + 1, e);
            continue;
        }
        Py_ssize_t k = next, tried = 0;
        for (; tried < type->n_fields; tried++, k = (k + 1) % type->n_fields) {
            if (type->fields[k].key_len == len && memcmp(type->fields[k].key, key, len) == 0) break;
        }
        if (tried == type->n_fields || slots[k].present) return LINE_FALLBACK;
        slots[k].present = 1;
        p = field_value(&type->fields[k], p, e, &slots[k]);
        if (p == NULL) return LINE_FALLBACK;
        p = skip_ws(p, e);
        next = (k + 1) % type->n_fields;
    }
    if (skip_ws(p + 1, e) != e) return LINE_FALLBACK;
    for (Py_ssize_t k = 0; k < type->n_fields; k++)
        if (!slots[k].present && type->fields[k].required) return LINE_FALLBACK;
    return LINE_EVENT;
}

/* The rows of one event type: its columns, and the line each row came from */
typedef struct {
    Py_ssize_t rows, cap;
    Column *cols;
    int64_t *lines;
} Group;

static int group_grow(Group *g, const TypeSpec *type) {
    Py_ssize_t cap = g->cap ? 2 * g->cap : 1024;
    int64_t *lines = PyMem_RawRealloc(g->lines, cap * sizeof(int64_t));
    if (lines == NULL) return -1;
    g->lines = lines;
    if (g->cols == NULL) {
        g->cols = PyMem_RawCalloc(type->n_fields ? type->n_fields : 1, sizeof(Column));
        if (g->cols == NULL) return -1;
        for (Py_ssize_t k = 0; k < type->n_fields; k++) g->cols[k].kind = type->fields[k].store;
    }
    for (Py_ssize_t k = 0; k < type->n_fields; k++) {
        Column *c = &g->cols[k];
        uint8_t *validity = PyMem_RawRealloc(c->validity, (cap + 7) / 8);
        if (validity == NULL) return -1;
        c->validity = validity;
        /* capacities are multiples of 1024: the new rows start on a whole byte */
        memset(c->validity + g->cap / 8, 0xFF, (cap - g->cap) / 8);
        char *values = PyMem_RawRealloc(c->values, (cap + 1) * width(c->kind));
        if (values == NULL) return -1;
        if (g->cap == 0) memset(values, 0, width(c->kind)); /* the first string offset */
        c->values = values;
    }
    g->cap = cap;
    return 0;
}

static int group_append(Group *g, const TypeSpec *type, const Slot *slots, int64_t line,
                        Failure *failure) {
    if (g->rows == g->cap && group_grow(g, type) < 0) {
        failure->code = OUT_OF_MEMORY;
        return -1;
    }
    Py_ssize_t row = g->rows;
    for (Py_ssize_t k = 0; k < type->n_fields; k++) {
        Column *c = &g->cols[k];
        const Slot *s = &slots[k];
        const FieldSpec *f = &type->fields[k];
        if (!s->present && f->has_default) {
            if (c->kind == 'q') ((int64_t *)c->values)[row] = f->default_int;
            else if (c->kind == 'i') ((int32_t *)c->values)[row] = (int32_t)f->default_int;
            else ((int16_t *)c->values)[row] = (int16_t)f->default_int;
            continue;
        }
        if (!s->present || s->null) {
            put_null(c, row);
            continue;
        }
        switch (c->kind) {
        case 's':
            failure->column = c;
            if (reserve(c, s->len, failure) < 0) return -1;
            if (s->escaped) {
                c->data_len += unescape(s->s, s->len, (unsigned char *)c->data + c->data_len);
            } else {
                memcpy(c->data + c->data_len, s->s, s->len);
                c->data_len += s->len;
            }
            ((int32_t *)c->values)[row + 1] = (int32_t)c->data_len;
            break;
        case 'q': case 't': ((int64_t *)c->values)[row] = s->i; break;
        case 'i': ((int32_t *)c->values)[row] = (int32_t)s->i; break;
        case 'h': ((int16_t *)c->values)[row] = (int16_t)s->i; break;
        case 'd': ((double *)c->values)[row] = s->d; break;
        }
    }
    g->lines[row] = line;
    g->rows++;
    return 0;
}

static int lines_append(int64_t **lines, Py_ssize_t *n, Py_ssize_t *cap, int64_t line) {
    if (*n == *cap) {
        Py_ssize_t grown = *cap ? 2 * *cap : 256;
        int64_t *more = PyMem_RawRealloc(*lines, grown * sizeof(int64_t));
        if (more == NULL) return -1;
        *lines = more;
        *cap = grown;
    }
    (*lines)[(*n)++] = line;
    return 0;
}

static PyObject *decode_lines(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *capsule;
    Py_buffer text;
    Py_ssize_t end;
    if (!PyArg_ParseTuple(args, "Oy*n", &capsule, &text, &end)) return NULL;
    const LinesSpec *spec = PyCapsule_GetPointer(capsule, SPEC_NAME);
    if (spec == NULL) {
        PyBuffer_Release(&text);
        return NULL;
    }
    if (end < 0 || end > text.len) {
        PyBuffer_Release(&text);
        PyErr_SetString(PyExc_ValueError, "end is outside the text");
        return NULL;
    }
    Group *groups = PyMem_RawCalloc(spec->n_types + 1, sizeof(Group));
    Py_ssize_t *seen = PyMem_RawMalloc((spec->n_types + 1) * sizeof(Py_ssize_t));
    Py_ssize_t n_seen = 0, n_fallback = 0, fallback_cap = 0;
    int64_t *fallback = NULL;
    PyObject *result = NULL, *decoded = NULL, *fallback_bytes = NULL;
    if (groups == NULL || seen == NULL) {
        PyMem_RawFree(groups);
        PyMem_RawFree(seen);
        PyBuffer_Release(&text);
        return PyErr_NoMemory();
    }
    Failure failure = {DONE, 0, NULL, NULL, 0};
    Slot slots[MAX_LINE_FIELDS];
    /* Only the text and this call's own memory are touched: other threads run meanwhile */
    Py_BEGIN_ALLOW_THREADS
    const unsigned char *p = text.buf, *stop = (const unsigned char *)text.buf + end;
    for (int64_t line = 0; failure.code == DONE; line++) {
        const unsigned char *newline = memchr(p, '\n', stop - p);
        const unsigned char *line_end = newline != NULL ? newline : stop;
        Py_ssize_t t = 0;
        switch (parse_line(spec, p, line_end, slots, &t)) {
        case LINE_EVENT:
            if (groups[t].rows == 0) seen[n_seen++] = t;
            group_append(&groups[t], &spec->types[t], slots, line, &failure);
            break;
        case LINE_FALLBACK:
            if (lines_append(&fallback, &n_fallback, &fallback_cap, line) < 0)
                failure.code = OUT_OF_MEMORY;
            break;
        }
        if (newline == NULL) break;
        p = newline + 1;
    }
    Py_END_ALLOW_THREADS
    if (failure.code != DONE) { /* OUT_OF_MEMORY or TOO_MUCH_TEXT: no event type in them */
        raise_failure(&failure, NULL);
        goto done;
    }
    decoded = PyList_New(n_seen);
    if (decoded == NULL) goto done;
    for (Py_ssize_t s = 0; s < n_seen; s++) {
        Group *g = &groups[seen[s]];
        const TypeSpec *type = &spec->types[seen[s]];
        PyObject *columns = PyList_New(type->n_fields);
        if (columns == NULL) goto done;
        for (Py_ssize_t k = 0; k < type->n_fields; k++) {
            PyObject *column = column_result(&g->cols[k], g->rows);
            if (column == NULL) {
                Py_DECREF(columns);
                goto done;
            }
            PyList_SET_ITEM(columns, k, column);
        }
        PyObject *item = Py_BuildValue("(ny#N)", seen[s], (const char *)g->lines,
                                       g->rows * (Py_ssize_t)sizeof(int64_t), columns);
        if (item == NULL) goto done;
        PyList_SET_ITEM(decoded, s, item);
    }
    fallback_bytes = PyBytes_FromStringAndSize(fallback ? (const char *)fallback : "",
                                               n_fallback * (Py_ssize_t)sizeof(int64_t));
    if (fallback_bytes == NULL) goto done;
    result = PyTuple_Pack(2, decoded, fallback_bytes);
done:
    Py_XDECREF(decoded);
    Py_XDECREF(fallback_bytes);
    for (Py_ssize_t t = 0; t < spec->n_types; t++) {
        Group *g = &groups[t];
        for (Py_ssize_t k = 0; g->cols != NULL && k < spec->types[t].n_fields; k++) {
            PyMem_RawFree(g->cols[k].validity);
            PyMem_RawFree(g->cols[k].values);
            PyMem_RawFree(g->cols[k].data);
        }
        PyMem_RawFree(g->cols);
        PyMem_RawFree(g->lines);
    }
    PyMem_RawFree(groups);
    PyMem_RawFree(seen);
    PyMem_RawFree(fallback);
    PyBuffer_Release(&text);
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
    {"lines_spec", lines_spec, METH_O,
     "lines_spec(types) -> the spec decode_lines reads the event types by"},
    {"decode_lines", decode_lines, METH_VARARGS,
     "decode_lines(spec, text, end) -> ([(type index, lines, columns), ...], fallback lines)"},
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
