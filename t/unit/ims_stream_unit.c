
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The streaming reader against the jansson reader: on every input both must
 * emit the same member records and reach the same status and code, however
 * the body is cut into pieces, and a scratch buffer that is too small must
 * fail cleanly.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ims.h"
#include "ims_stream.h"
#include "unit.h"


typedef struct {
    const char  *body;
    size_t       len;
} stream_body_t;


#define B(s)  { s, sizeof(s) - 1 }

#define OP_HEAD  "[{\"op\":\"add\",\"path\":\"/x\",\"value\":"


/*
 * The bodies of patch_cases (ims_unit.c), then the classes of malformed
 * and tricky JSON.  An operation whose "op" is "stop" is refused by the
 * test's emit, to check that document errors win over it.
 */
static const stream_body_t  stream_corpus[] = {

    /* patch_cases: document */
    B(""),
    B(" \t\r\n"),
    B("[]"),
    B(" [ ] \n"),
    B("{}"),
    B("\"x\""),
    B("null"),
    B("[1]"),
    B("[[]]"),
    B("[{\"op\":\"remove\",\"path\":\"/x\"},null]"),
    B("\xef\xbb\xbf[]"),
    B("[]/* c */"),
    B("[] x"),
    B("[][]"),
    B("[{'op':'remove','path':'/x'}]"),
    B("[{op:\"remove\",\"path\":\"/x\"}]"),
    B("[{\"op\":\"remove\",\"path\":\"/x\"},]"),
    B("[{\"op\":\"remove\",\"path\":\"/x\",\"value\":NaN}]"),
    B("[{\"op\":\"remove\",\"path\":\"/x\",\"value\":Infinity}]"),
    B("[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"a\tb\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"\xff\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"\xc0\xaf\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"\xed\xa0\x80\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"\\ud800\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"\\udc00x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"a\\u0000b\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/name\",\"path\":\"/__os_bit\","
      "\"value\":\"x\"}]"),
    B("[{\"op\":\"replace\",\"\\u006fp\":\"add\",\"path\":\"/x\","
      "\"value\":\"x\"}]"),
    B("[{\"op\":\"remove\",\"path\":\"/x\",\"value\":{\"a\":1,\"a\":2}}]"),
    B("[{\"op\":\"remove\",\"path\":\"/x\",\"x\":1,\"x\":1}]"),
    B("[{\"op\":\"remove\",\"path\":\"/x\",\"value\":{\"a\":1,"
      "\"b\":{\"a\":1}}}]"),
    B("[{\"op\":\"remove\",\"path\":\"/x\",\"value\":"
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]"),
    B("[{\"op\":\"remove\",\"path\":\"/x\",\"value\":"
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]"),

    /* patch_cases: operations, paths, attributes */
    B("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"ok\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/name\",\"value\":\"ok\"}]"),
    B("[{\"op\":\"remove\",\"path\":\"/custom\"}]"),
    B("[{\"op\":\"remove\",\"path\":\"/custom\",\"value\":[1,{}]}]"),
    B("[{\"path\":\"/name\",\"value\":\"ok\"}]"),
    B("[{\"op\":null,\"path\":\"/name\",\"value\":\"ok\"}]"),
    B("[{\"op\":1,\"path\":\"/name\",\"value\":\"ok\"}]"),
    B("[{\"op\":\"Replace\",\"path\":\"/name\",\"value\":\"ok\"}]"),
    B("[{\"op\":\"move\",\"path\":\"/name\",\"from\":\"/x\"}]"),
    B("[{\"op\":\"replace \",\"path\":\"/name\",\"value\":\"x\"}]"),
    B("[{\"op\":\"replace\",\"value\":\"ok\"}]"),
    B("[{\"op\":\"replace\",\"path\":null,\"value\":\"ok\"}]"),
    B("[{\"op\":\"replace\",\"path\":[\"/name\"],\"value\":\"ok\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/name\"}]"),
    B("[{\"replace\":\"/name\",\"value\":\"ok\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"ok\","
      "\"remove\":\"/__os_bit\"}]"),
    B("[{\"add\":\"/custom\",\"value\":\"v\"}]"),
    B("[{\"remove\":\"/custom\"}]"),
    B("[{\"replace\":\"/name\",\"add\":\"/x\",\"value\":\"ok\"}]"),
    B("[{\"replace\":null,\"value\":\"ok\"}]"),
    B("[{\"replace\":5,\"value\":\"ok\"}]"),
    B("[{\"remove\":\"/custom\",\"value\":NaN}]"),
    B("[{\"op\":\"add\",\"path\":\"/a~1b\",\"value\":\"x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/tricky~01\",\"value\":\"x\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/\\u006eame\",\"value\":\"a b\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/\\u00a0__os_bit\","
      "\"value\":\"x\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/__os_bit\\u3000\","
      "\"value\":\"x\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/\\t__os_bit\",\"value\":\"x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\\u0000b\",\"value\":\"x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\\u007fb\",\"value\":\"x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\\u0085b\",\"value\":\"x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\\u200bb\",\"value\":\"x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/\\ufeffx\",\"value\":\"x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/\\ud83d\\ude00\",\"value\":\"x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/\xe4\xb8\xad\",\"value\":\"x\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/\\u005f\\u005fos_bit\","
      "\"value\":\"x\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"ok\"},"
      "{\"op\":\"remove\",\"path\":\"/status\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":null}]"),
    B("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":5}]"),
    B("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":true}]"),
    B("[{\"op\":\"replace\",\"path\":\"/name\","
      "\"value\":\"\xe9\x95\x9c\xe5\x83\x8f-1\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"a\\tb\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"caf\xc3\xa9\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/__description\",\"value\":\"a\\rb\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/__description\",\"value\":\"<b>\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/custom\","
      "\"value\":\"\xf0\x9f\x98\x80\"}]"),
    B("[{\"op\":\"replace\",\"path\":\"/custom\","
      "\"value\":\"\xe4\xb8\xad <>\\r\\n\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/custom\",\"value\":{}}]"),
    B("[{\"op\":\"add\",\"path\":\"/custom\",\"value\":[]}]"),
    B("[{\"op\":\"add\",\"path\":\"/custom\",\"value\":false}]"),

    /* operation verdicts against document errors */
    B("[{\"op\":\"stop\"}]"),
    B("[{\"op\":\"stop\"},{\"op\":\"x\"}]"),
    B("[{\"op\":\"x\"},{\"op\":\"stop\"},{\"op\":\"stop\",\"n\":2}]"),
    B("[{\"op\":\"stop\"},1]"),
    B("[{\"op\":\"stop\"},{\"op\":\"x\"},[]]"),
    B("[{\"op\":\"stop\"},{\"a\":1,\"a\":2}]"),
    B("[{\"op\":\"stop\"},{\"v\":1e400}]"),
    B("[{\"op\":\"stop\"},{\"v\":\"\\ud800\"}]"),
    B("[{\"op\":\"stop\"}] x"),
    B("[{\"op\":\"stop\"}"),
    B("[{\"op\":\"stop\"},{\"v\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]"
      "]]]]]]]]]]]]]]]]]]}]"),
    B("[{\"op\":\"stop\",\"op\":\"x\"}]"),
    B("[{\"op\":\"x\"},\"stop\"]"),

    /* structure */
    B("["),
    B("[{"),
    B("[{\"op\""),
    B("[{\"op\":"),
    B("[{\"op\":\"add\""),
    B("[{\"op\":\"add\","),
    B("[{\"op\":\"add\"}"),
    B("[{\"op\":\"add\"},"),
    B("]"),
    B("[}"),
    B("[{]"),
    B("[{\"a\":1]"),
    B("[{\"a\":[1}]"),
    B("[{\"a\" 1}]"),
    B("[{\"a\":1 \"b\":2}]"),
    B("[{\"a\":1,}]"),
    B("[{,\"a\":1}]"),
    B("[{\"a\"::1}]"),
    B("[{\"a\":}]"),
    B("[{1:2}]"),
    B("[{\"a\":[1,,2]}]"),
    B("[{\"a\":[,1]}]"),
    B("[{\"a\":[1,]}]"),
    B("[{}]"),
    B("[{},{}]"),
    B("[ { } , { \"a\" : [ 1 , { } , [ ] ] } ]"),
    B("\n\r\t [\n\r\t {\n\r\t \"op\"\n\r\t :\n\r\t \"add\"\n\r\t }\n\r\t ]"
      "\n\r\t "),
    B("[{\"a\":1}]\f"),
    B("[{\"a\":1}]\xc2\xa0"),
    B("[\xc2\xa0{}]"),
    B("[{\"a\":1}]\0"),
    B("[1,2]"),
    B("[\"a\"]"),
    B("[true]"),
    B("{\"op\":\"add\"}"),
    B("{\"a\":[1,2}"),
    B("{\"a\":1 x"),
    B("1"),
    B("-"),
    B("tru"),
    B("x"),
    B("\"abc"),

    /* literals, and raw NUL bytes after them (never valid) */
    B(OP_HEAD "true}]"),
    B(OP_HEAD "false}]"),
    B(OP_HEAD "null}]"),
    B(OP_HEAD "True}]"),
    B(OP_HEAD "nul}]"),
    B(OP_HEAD "nulll}]"),
    B(OP_HEAD "truex}]"),
    B(OP_HEAD "true1}]"),
    B(OP_HEAD "1\0}]"),
    B(OP_HEAD "1\0\0}]"),
    B(OP_HEAD "1 \0}]"),
    B(OP_HEAD "true\0}]"),
    B(OP_HEAD "null\0,\"a\":false\0}]"),
    B(OP_HEAD "[1\0,2.5\0,3e1\0,0\0,-0\0]}]"),
    B(OP_HEAD "\"x\"\0}]"),
    B(OP_HEAD "{}\0}]"),
    B(OP_HEAD "tr\0ue}]"),
    B("[{\"op\":\"add\"\0}]"),
    B("[{\0\"op\":\"add\"}]"),

    /* numbers */
    B(OP_HEAD "0}]"),
    B(OP_HEAD "-0}]"),
    B(OP_HEAD "01}]"),
    B(OP_HEAD "-01}]"),
    B(OP_HEAD "00}]"),
    B(OP_HEAD "-}]"),
    B(OP_HEAD "+1}]"),
    B(OP_HEAD "1.}]"),
    B(OP_HEAD ".5}]"),
    B(OP_HEAD "-.5}]"),
    B(OP_HEAD "1.5.}]"),
    B(OP_HEAD "1e}]"),
    B(OP_HEAD "1e+}]"),
    B(OP_HEAD "1E-2}]"),
    B(OP_HEAD "1e+02}]"),
    B(OP_HEAD "0.0e0}]"),
    B(OP_HEAD "1.e5}]"),
    B(OP_HEAD "0x10}]"),
    B(OP_HEAD "1_000}]"),
    B(OP_HEAD "- 1}]"),
    B(OP_HEAD "1e400}]"),
    B(OP_HEAD "-1e400}]"),
    B(OP_HEAD "1e308}]"),
    B(OP_HEAD "1e309}]"),
    B(OP_HEAD "1e-400}]"),
    B(OP_HEAD "1e-99999999999999999999999}]"),
    B(OP_HEAD "1e99999999999999999999999}]"),
    B(OP_HEAD "0e99999999999999999999999}]"),
    B(OP_HEAD "0.000e400}]"),
    B(OP_HEAD "1.7976931348623157e308}]"),
    B(OP_HEAD "1.7976931348623158e308}]"),
    B(OP_HEAD "1.7976931348623159e308}]"),
    B(OP_HEAD "1.797693134862315807937289714053e308}]"),
    B(OP_HEAD "1.797693134862315807937289714054e308}]"),
    B(OP_HEAD "-1.797693134862315807937289714054e308}]"),
    B(OP_HEAD "0.00001797693134862315807937289714054e313}]"),
    B(OP_HEAD "0.00001797693134862315807937289714053e313}]"),
    B(OP_HEAD "17976931348623158079372897140530341507993413271003782693617"
      "37789804449682927647509466490179775872070963302864166928879109465555"
      "47851940402630657488671505820681908902000708383676273854845817711531"
      "76447573027006985557136695962284291481986083493647529271907416844436"
      "551070434271155969950809304288017790417449779199999}]"),
    B(OP_HEAD "17976931348623158079372897140530341507993413271003782693617"
      "37789804449682927647509466490179775872070963302864166928879109465555"
      "47851940402630657488671505820681908902000708383676273854845817711531"
      "76447573027006985557136695962284291481986083493647529271907416844436"
      "5510704342711559699508093042880177904174497791.9999999999999}]"),
    B(OP_HEAD "17976931348623158079372897140530341507993413271003782693617"
      "37789804449682927647509466490179775872070963302864166928879109465555"
      "47851940402630657488671505820681908902000708383676273854845817711531"
      "76447573027006985557136695962284291481986083493647529271907416844436"
      "5510704342711559699508093042880177904174497792}]"),
    B(OP_HEAD "17976931348623158079372897140530341507993413271003782693617"
      "37789804449682927647509466490179775872070963302864166928879109465555"
      "47851940402630657488671505820681908902000708383676273854845817711531"
      "76447573027006985557136695962284291481986083493647529271907416844436"
      "5510704342711559699508093042880177904174497792e-1}]"),
    B(OP_HEAD "17976931348623158079372897140530341507993413271003782693617"
      "37789804449682927647509466490179775872070963302864166928879109465555"
      "47851940402630657488671505820681908902000708383676273854845817711531"
      "76447573027006985557136695962284291481986083493647529271907416844436"
      "5510704342711559699508093042880177904174497792.00000000000001e-1}]"),
    B(OP_HEAD "12345678901234567890123456789012345678901234567890123456789"
      "01234567890123456789012345678901234567890123456789012345678901234567"
      "89012345678901234567890123456789012345678901234567890123456789012345"
      "67890123456789012345678901234567890123456789012345678901234567890123"
      "45678901234567890123456789012345678901234567890}]"),

    /* strings: escapes */
    B(OP_HEAD "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}]"),
    B(OP_HEAD "\"\\a\"}]"),
    B(OP_HEAD "\"\\x41\"}]"),
    B(OP_HEAD "\"\\'\"}]"),
    B(OP_HEAD "\"\\U0041\"}]"),
    B(OP_HEAD "\"\\u004\"}]"),
    B(OP_HEAD "\"\\u004g\"}]"),
    B(OP_HEAD "\"\\u00E9\\u00e9\\uFFFF\\uffff\"}]"),
    B(OP_HEAD "\"\\u0080\\u07ff\\u0800\\ufffd\"}]"),
    B(OP_HEAD "\"\\ud83d\\ude00\"}]"),
    B(OP_HEAD "\"\\uD83D\\uDE00\"}]"),
    B(OP_HEAD "\"\\udbff\\udfff\"}]"),
    B(OP_HEAD "\"\\udbff\\udc00\\ud800\\udfff\"}]"),
    B(OP_HEAD "\"\\ud800\\udbff\"}]"),
    B(OP_HEAD "\"\\ud800\\ue000\"}]"),
    B(OP_HEAD "\"\\ud7ff\\ue000\\uFFFF\"}]"),
    B(OP_HEAD "\"\\udfff\"}]"),
    B(OP_HEAD "\"\\udc00\\udc00\"}]"),
    B(OP_HEAD "\"\\ud800\\udc00\"}]"),
    B(OP_HEAD "\"\\ud83d\"}]"),
    B(OP_HEAD "\"\\ud83dx\"}]"),
    B(OP_HEAD "\"\\ud83d\\n\"}]"),
    B(OP_HEAD "\"\\ud83d\\u0041\"}]"),
    B(OP_HEAD "\"\\ud83d\\ud83d\"}]"),
    B(OP_HEAD "\"\\ude00\\ud83d\"}]"),
    B(OP_HEAD "\"\\ude00\"}]"),
    B(OP_HEAD "\"\\ud83d\\u\"}]"),
    B(OP_HEAD "\"\\ud83d\\"),
    B(OP_HEAD "\"\\u0000\"}]"),
    B(OP_HEAD "\"\\u0000\\u0000x\\u0000\"}]"),
    B("[{\"op\\u0000\":1}]"),
    B("[{\"op\":\"add\",\"v\":{\"a\\u0000b\":1}}]"),
    B("[{\"op\":\"add\",\"v\":[{\"\\u0000\":1}]}]"),
    B("[{\"op\":\"add\",\"v\":\"\\u0000\"}]"),
    B("[{\"\\u0070\\u0061\\u0074\\u0068\":\"/x\",\"op\":\"add\"}]"),
    B("[{\"p\\u0061th\":\"/x\",\"path\":\"/y\"}]"),
    B("[{\"\\/\":1,\"/\":2}]"),
    B("[{\"a\\tb\":1,\"a\\u0009b\":2}]"),
    B("[{\"\\u00e9\":1,\"\xc3\xa9\":2}]"),
    B("[{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}]"),
    B("[{\"e\\u0301\":1,\"\xc3\xa9\":2}]"),
    B("[{\"\":1,\"\":2}]"),
    B("[{\"\":1,\"a\":{\"\":2,\"a\":{\"\":3}}}]"),
    B("[{\"a\":1},{\"a\":1}]"),

    /* strings: raw bytes */
    B(OP_HEAD "\"\x01\"}]"),
    B(OP_HEAD "\"\x1f\"}]"),
    B(OP_HEAD "\"\n\"}]"),
    B(OP_HEAD "\"\x7f\"}]"),
    B(OP_HEAD "\"a\0b\"}]"),
    B("[{\"a\0\":1}]"),
    B(OP_HEAD "\"\x80\"}]"),
    B(OP_HEAD "\"\xbf\"}]"),
    B(OP_HEAD "\"\xc1\xbf\"}]"),
    B(OP_HEAD "\"\xc2\x80\xdf\xbf\"}]"),
    B(OP_HEAD "\"\xc2\"}]"),
    B(OP_HEAD "\"\xc2\x7f\"}]"),
    B(OP_HEAD "\"\xe0\x9f\xbf\"}]"),
    B(OP_HEAD "\"\xe0\xa0\x80\"}]"),
    B(OP_HEAD "\"\xed\x9f\xbf\"}]"),
    B(OP_HEAD "\"\xed\xbf\xbf\"}]"),
    B(OP_HEAD "\"\xee\x80\x80\xef\xbf\xbf\"}]"),
    B(OP_HEAD "\"\xe4\xb8\"}]"),
    B(OP_HEAD "\"\xe4\"}]"),
    B(OP_HEAD "\"\xf0\x8f\xbf\xbf\"}]"),
    B(OP_HEAD "\"\xf0\x90\x80\x80\"}]"),
    B(OP_HEAD "\"\xf4\x8f\xbf\xbf\"}]"),
    B(OP_HEAD "\"\xf4\x90\x80\x80\"}]"),
    B(OP_HEAD "\"\xf5\x80\x80\x80\"}]"),
    B(OP_HEAD "\"\xf8\x88\x80\x80\x80\"}]"),
    B(OP_HEAD "\"\xff\xfe\"}]"),
    B(OP_HEAD "\"\xf0\x9f\x98\"}]"),
    B(OP_HEAD "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87 "
      "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad\xe6\x96\x87\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad"
      "\xe6\x96\x87\xe4\xb8\xad\xe6\x96\x87\",\"value\":\"x\"}]"),
    B("[{\"\xe4\xb8\xad\":1,\"\xe4\xb8\xae\":2,\"\xe4\xb8\xad\":3}]"),
    B("[{\"a\":1}\xe4\xb8\xad]"),

    /* long strings: the 16-byte loops and their tails */
    B("[{\"op\":\"add\",\"path\":\"/0123456789abcdef0123456789abcdef01\","
      "\"value\":\"0123456789abcdef0123456789abcdef0123456789abcdef0\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/0123456789abcdef\\n0123456789abcdef\","
      "\"value\":\"0123456789abcde\\\"0123456789abcdef\\u00e9789abcdef\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/0123456789abcd\xc3\xa9\","
      "\"value\":\"0123456789abcdef0123456789\x01\"}]"),
    B("[{\"0123456789abcdef0123456789abcdef\":1,"
      "\"0123456789abcdef0123456789abcdef\":2}]"),
    B("[{\"0123456789abcdef0123456789abcdef\":1,"
      "\"0123456789abcdef0123456789abcdeg\":2}]"),

    /* members beyond the six, and every kind for each of the six */
    B("[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"v\",\"add\":\"/a\","
      "\"replace\":\"/r\",\"remove\":\"/d\",\"other\":\"o\",\"Op\":1}]"),
    B("[{\"op\":[],\"path\":{},\"value\":[{\"op\":\"inner\"}],\"add\":true,"
      "\"replace\":null,\"remove\":-1.5e3}]"),
    B("[{\"value\":{\"op\":\"stop\",\"path\":\"/in\"},\"op\":\"x\"}]"),
    B("[{\"op\":\"\",\"path\":\"\",\"value\":\"\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"v\"},"
      "{\"op\":\"remove\",\"path\":\"/y\"},"
      "{\"op\":\"replace\",\"path\":\"/z\",\"value\":\"w\"}]"),
    B("[{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,"
      "\"i\":9,\"op\":\"add\",\"j\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,"
      "\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10},\"k\":1}]"),
    B("[{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,"
      "\"i\":9,\"op\":\"add\",\"j\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,"
      "\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10},\"j\":1}]"),
    B("[{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,"
      "\"i\":9,\"j\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,"
      "\"g\":7,\"h\":8,\"i\":9,\"i\":10}}]"),
    B("[{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,"
      "\"i\":9,\"j\":1,\"k\":2,\"\\u0061\":3}]"),
    B("[{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,"
      "\"\\u0061\":3}]"),

    /*
     * The reader's one-sweep path for operations in the usual shape:
     * members the previous operation set and this one does not, names in
     * any order, whitespace where JSON allows it, and objects it leaves
     * to the general path half-way (a number, an escape, a duplicate, an
     * unknown name, a UTF-8 value) next to ones it takes.
     */
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"remove\",\"path\":\"/b\"},"
      "{\"op\":\"replace\",\"path\":\"/c\",\"value\":\"y\"}]"),
    B("[{\"add\":\"/a\",\"value\":\"x\"},{\"remove\":\"/b\"},"
      "{\"replace\":\"/c\",\"value\":\"y\"},{\"op\":\"add\",\"path\":\"/d\","
      "\"value\":\"z\"}]"),
    B("[{\"value\":\"x\",\"path\":\"/a\",\"op\":\"add\"},"
      "{\"path\":\"/b\",\"op\":\"remove\"}]"),
    B("[ { \"op\" : \"add\" , \"path\" : \"/a\" , \"value\" : \"x\" } ,"
      "{\"op\": \"remove\", \"path\": \"/b\"}\n,\t{\"op\":\"add\","
      "\"path\":\"/c\",\"value\":\"y\"}\r\n]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/b\",\"value\":1},"
      "{\"op\":\"add\",\"path\":\"/c\",\"value\":\"y\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/b\",\"value\":\"a\\nb\"},"
      "{\"op\":\"remove\",\"path\":\"/c\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/b\",\"path\":\"/c\",\"value\":\"x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/b\",\"extra\":\"e\",\"value\":\"x\"},"
      "{\"op\":\"remove\",\"path\":\"/c\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/b\",\"value\":\"caf\xc3\xa9\"},"
      "{\"op\":\"remove\",\"path\":\"/c\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"stop\",\"path\":\"/b\"},"
      "{\"op\":\"add\",\"path\":\"/c\",\"value\":\"y\"},1]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},{},"
      "{\"op\":\"add\",\"path\":\"/c\",\"value\":\"y\"},{\"op\":\"add\"}]"),

    /*
     * The usual shape exactly, compact or with one space after ':' and ','
     * (what JSON encoders write), read by ims_stream_usual_op(); next to
     * objects that leave it at each of its steps for the one-sweep path
     * or the general one.
     */
    B("[{\"op\": \"add\", \"path\": \"/a\", \"value\": \"x\"}, "
      "{\"op\": \"remove\", \"path\": \"/b\"}, "
      "{\"op\": \"replace\", \"path\": \"/c\", \"value\": \"\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\": \"add\",\"path\":\"/b\",\"value\":\"x\"},"
      "{\"op\":\"add\", \"path\":\"/c\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\": \"/d\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/e\" ,\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/f\",\"value\":\"x\" },"
      "{\"op\":  \"add\",\"path\":\"/g\",\"value\":\"x\"},"
      "{\"op\":\t\"add\",\"path\":\"/h\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/i\",\"value\":\"x\",\"more\":1}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"a\\u0064d\",\"path\":\"/b\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/\\u00e9\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/d\",\"value\":\"\xc3\xa9\"},"
      "{\"op\":\"add\",\"path\":\"/e\",\"value\":[\"x\"]},"
      "{\"op\":\"add\",\"path\":\"/f\",\"valu\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/g\",\"path\":\"/h\"},"
      "{\"op\":\"add\",\"op\":\"add\",\"path\":\"/i\"},"
      "{\"op\":\"remove\",\"path\":\"/j\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/b\",\"value\":\"x\"}"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\""),
    B("[{\"op\": \"add\",x\"path\": \"/a\"}]"),
    B("[{\"op\": \"add\", \"path\": \"/a\",x\"value\": \"x\"}]"),
    B("[{\"op\": \"add\", \"path\": \"/a\", \"value\":x\"x\"}]"),
    B("[{\"op\": \"add\", \"path\": \"/a\", \"value\": \"x\"}, "
      "{\"op\": \"add\", \"path\": \"/a\", \"value\": \"x\"} ]"),

    /*
     * The fast path's template at each of its steps: whitespace of every
     * kind between the tokens (pretty-printed, before "}", between "," and
     * "{"), v2.0 members, words that only begin like the usual names and
     * verbs, verbs as other members' values, and objects it leaves to the
     * state machine half-way; each next to one it takes.
     */
    B("[\n  {\n    \"op\": \"add\",\n    \"path\": \"/a\",\n"
      "    \"value\": \"x\"\n  },\n  {\n    \"op\": \"remove\",\n"
      "    \"path\": \"/b\"\n  }\n]\n"),
    B("[{\"op\":\"remove\",\"path\":\"/a\" },{ \"op\":\"add\","
      "\"path\":\"/b\",\"value\":\"x\"\t}, {\"op\" :\"remove\","
      "\"path\" : \"/c\"} ,{\"op\":\"add\" ,\"path\":\"/d\","
      "\"value\" :\"y\"}\r\n,\r\n{\"op\":\"remove\",\"path\":\"/e\"}]"),
    B("[{\"replace\":\"/name\",\"value\":\"x\"},"
      "{\"remove\": \"/a\"}, { \"add\" : \"/b\" , \"value\" : \"y\" },"
      "{\"replace\":\"/c\",\"path\":\"/d\"},{\"remove\":\"/e\","
      "\"remove\":\"/f\"},{\"path\":\"/g\",\"op\":\"remove\"}]"),
    B("[{\"op\":\"adds\",\"path\":\"add\",\"value\":\"remove\"},"
      "{\"op\":\"removed\",\"path\":\"replace\"},{\"op\":\"replaces\","
      "\"path\":\"/a\"},{\"op\":\"ad\",\"path\":\"/b\"},"
      "{\"op\":\"\",\"path\":\"\",\"value\":\"\"}]"),
    B("[{\"opx\":\"add\",\"path\":\"/a\"},{\"op\":\"add\",\"paths\":"
      "\"/b\"},{\"op\":\"add\",\"path\":\"/c\",\"values\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/d\",\"valu\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/e\",\"value\":\"x\",\"op\":\"add\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/b\",\"value\":{\"op\":\"add\"}},"
      "{\"op\":\"add\",\"path\":\"/c\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/d\",\"value\":\"\\u0078\"},"
      "{\"op\":\"add\",\"path\":\"/e\",\"value\":\"x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/b\",\"value\":\"x\"}x,"
      "{\"op\":\"add\",\"path\":\"/c\",\"value\":\"x\"}]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
      "{\"op\":\"add\",\"path\":\"/b\",\"value\":\"x\"},x"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},\"x\"]"),
    B("[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"}  ,  "),
    B("[{\"op\":\"stop\",\"path\":\"/a\"},{\"op\":\"add\","
      "\"path\":\"/b\",\"value\":\"x\"},{\"op\":\"add\",\"path\":\"/b\","
      "\"path\":\"/c\"}]"),
};


typedef struct {
    char              *buf;
    size_t             len;
    size_t             size;
    size_t             n;
} stream_emitted_t;


typedef struct {
    int                rc;
    ims_verdict_t      v;
    stream_emitted_t   e;
} stream_result_t;


static void
emitted_append(stream_emitted_t *e, const void *p, size_t len)
{
    if (e->len + len > e->size) {
        e->size = (e->len + len) * 2 + 256;
        e->buf = realloc(e->buf, e->size);
    }

    memcpy(e->buf + e->len, p, len);
    e->len += len;
}


/*
 * Serializes each record; refuses an operation whose "op" is "stop", as a
 * rule would, with a code no document error has.
 */

static int
stream_collect(void *data, const ims_members_t *m, ims_verdict_t *v)
{
    char                 head[64];
    size_t               i, k;
    stream_emitted_t    *e;
    const ims_member_t  *mb;

    e = data;
    e->n++;

    snprintf(head, sizeof(head), "#%zu", m->index);
    emitted_append(e, head, strlen(head));

    for (k = 0; k < IMS_MEMBER_COUNT; k++) {
        mb = &m->member[k];

        if (mb->kind == IMS_JSON_STRING) {
            snprintf(head, sizeof(head), "|%d:%zu:", (int) mb->kind,
                     mb->len);
            emitted_append(e, head, strlen(head));
            emitted_append(e, mb->data ? (const void *) mb->data : "(null)",
                           mb->data ? mb->len : 6);

            /* a wrong "ascii" hint makes the records differ from jansson's */
            for (i = 0; mb->ascii && i < mb->len; i++) {
                if (mb->data[i] >= 0x80) {
                    emitted_append(e, "|ascii hint wrong", 17);
                    break;
                }
            }

        } else {
            snprintf(head, sizeof(head), "|%d", (int) mb->kind);
            emitted_append(e, head, strlen(head));
        }
    }

    mb = &m->member[IMS_MEMBER_OP];

    if (mb->kind == IMS_JSON_STRING && mb->len == 4
        && memcmp(mb->data, "stop", 4) == 0)
    {
        return ims_reject(v, 422, IMS_IMG_0105, "stop at %zu", m->index);
    }

    return 0;
}


static void
result_init(stream_result_t *r)
{
    memset(r, 0, sizeof(stream_result_t));
}


static void
result_free(stream_result_t *r)
{
    free(r->e.buf);
}


static void
show(char *buf, size_t size, const ims_uchar_t *p, size_t len)
{
    ims_escape(buf, size, p, len);
}


static void
run_jansson(const ims_uchar_t *body, size_t len,
    const ims_patch_conf_t *conf, stream_result_t *r)
{
    result_init(r);
    ims_verdict_pass(&r->v);
    r->rc = ims_read_patch_jansson(body, len, conf, stream_collect, &r->e,
                                   &r->v);
}


/*
 * A copy of a piece that ends where an inaccessible page begins: a byte
 * read past the piece is a SIGSEGV even without ASan (as the mutation
 * runner builds the tests).  NULL: the piece is larger than the room.
 */

#define FENCE_ROOM  (64 * 1024)

static ims_uchar_t  *stream_fence;

static ims_uchar_t *
fence_copy(const ims_uchar_t *p, size_t len)
{
    long          page;
    ims_uchar_t  *map;

    if (stream_fence == NULL) {
        page = sysconf(_SC_PAGESIZE);
        map = mmap(NULL, FENCE_ROOM + page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (map == MAP_FAILED
            || mprotect(map + FENCE_ROOM, page, PROT_NONE) != 0)
        {
            check(0, "stream: fence page", "", NULL);
            return NULL;
        }

        stream_fence = map + FENCE_ROOM;
    }

    if (len > FENCE_ROOM) {
        return NULL;
    }

    memcpy(stream_fence - len, p, len);

    return stream_fence - len;
}


/*
 * Feeds the pieces between "cuts" from private copies that are scribbled
 * over and freed after each feed, so that nothing may point into them; the
 * scratch sits between guard bytes, misaligned by "skew".  A "mask" other
 * than NO_MASK shrinks the hash table so that names collide.  "fenced":
 * each piece ends at an inaccessible page instead (fence_copy()).
 */

#define GUARD    64
#define NO_MASK  0xffffffff

static int
run_stream(const ims_uchar_t *body, size_t len, const ims_patch_conf_t *conf,
    const size_t *cuts, size_t ncuts, size_t size, size_t skew,
    uint32_t mask, int fenced, stream_result_t *r)
{
    int            rc, guards_ok;
    size_t         i, from, to;
    ims_uchar_t   *mem, *piece, *heap;
    ims_stream_t   s;

    result_init(r);
    ims_verdict_pass(&r->v);

    mem = malloc(size + skew + 2 * GUARD);
    memset(mem, 0x5a, size + skew + 2 * GUARD);

    rc = ims_stream_init(&s, conf, stream_collect, &r->e, mem + GUARD + skew,
                         size);
    from = 0;

    if (rc == IMS_STREAM_OK && mask != NO_MASK && mask < s.bucket_mask) {
        s.bucket_mask = mask;
    }

    for (i = 0; rc == IMS_STREAM_OK && i <= ncuts; i++) {
        to = (i < ncuts) ? cuts[i] : len;

        heap = NULL;
        piece = fenced ? fence_copy(body + from, to - from) : NULL;

        if (piece == NULL) {
            /* exactly its length: ASan catches a byte read past the piece */
            heap = malloc(to - from);
            memcpy(heap, body + from, to - from);
            piece = heap;
        }

        rc = ims_stream_feed(&s, piece, to - from, &r->v);

        memset(piece, '"', to - from);
        free(heap);
        from = to;
    }

    if (rc == IMS_STREAM_OK) {
        rc = ims_stream_finish(&s, &r->v);

    } else if (i == 0) {
        rc = ims_stream_finish(&s, &r->v);
    }

    guards_ok = 1;

    for (i = 0; i < GUARD + skew; i++) {
        guards_ok &= (mem[i] == 0x5a);
    }

    for (i = 0; i < GUARD; i++) {
        guards_ok &= (mem[GUARD + skew + size + i] == 0x5a);
    }

    free(mem);

    r->rc = rc;

    return guards_ok;
}


static void
compare(const stream_result_t *j, const stream_result_t *st,
    const char *what, const ims_uchar_t *body, size_t len)
{
    int   same;
    char  input[200], got[IMS_DETAIL_MAX + 160];

    /* a document error emits nothing in jansson, anything in a stream */
    same = (j->rc == st->rc || (j->rc == -1 && st->rc == IMS_STREAM_REJECT))
           && j->v.status == st->v.status && j->v.code == st->v.code
           && ((j->rc == -1 && j->e.n == 0)
               || (j->e.len == st->e.len
                   && (j->e.len == 0
                       || memcmp(j->e.buf, st->e.buf, j->e.len) == 0)));

    input[0] = '\0';
    got[0] = '\0';

    if (!same) {
        show(input, sizeof(input), body, len);
        snprintf(got, sizeof(got), "jansson %d %d %s [%zu] / stream %d %d %s"
                 " [%zu]", j->rc, j->v.status, ims_code_name(j->v.code),
                 j->e.n, st->rc, st->v.status, ims_code_name(st->v.code),
                 st->e.n);
    }

    check(same, what, input, same ? NULL : got);
}


/* every way to read one body, against jansson */

static void
stream_differential(const ims_uchar_t *body, size_t len,
    const ims_patch_conf_t *conf, int splits)
{
    int              ok;
    char             input[200];
    size_t           i, k, size, *cuts, cut[2];
    ims_uchar_t     *copy;
    stream_result_t  j, st;

    if (len == 0) {
        /* ims_patch_validate answers IMG.0007 before any reader */
        return;
    }

    size = ims_stream_scratch_size(conf, len);
    run_jansson(body, len, conf, &j);

    /* one buffer of exactly its length, the scratch on the stack */
    copy = malloc(len);
    memcpy(copy, body, len);
    result_init(&st);
    ims_verdict_pass(&st.v);
    st.rc = ims_read_patch_stream(copy, len, conf, stream_collect, &st.e,
                                  &st.v);
    free(copy);

    if (size <= IMS_STREAM_STACK_MAX) {
        compare(&j, &st, "stream: one buffer", body, len);

    } else {
        check(st.rc == -1 && st.v.status == 500 && st.e.n == 0,
              "stream: one buffer beyond the stack limit", "", NULL);
    }

    result_free(&st);

    /* exactly the documented scratch, misaligned */
    ok = run_stream(body, len, conf, NULL, 0, size, 3, NO_MASK, 1, &st);
    show(input, sizeof(input), body, len);
    check(ok, "stream: guards", input, NULL);
    compare(&j, &st, "stream: formula scratch", body, len);
    result_free(&st);

    /* hash chains that collide all the time (quadratic: small bodies) */
    if (len <= 8192) {
        for (i = 0; i < 4; i += 3) {
            ok = run_stream(body, len, conf, NULL, 0, size, 0, (uint32_t) i,
                            0, &st);
            check(ok, "stream: guards, colliding names", input, NULL);
            compare(&j, &st, "stream: colliding names", body, len);
            result_free(&st);
        }
    }

    if (splits) {
        /* one byte at a time */
        cuts = malloc(len * sizeof(size_t));

        for (i = 0; i < len - 1; i++) {
            cuts[i] = i + 1;
        }

        ok = run_stream(body, len, conf, cuts, len - 1, size, 0, NO_MASK, 1,
                        &st);
        check(ok, "stream: guards, 1-byte pieces", input, NULL);
        compare(&j, &st, "stream: 1-byte pieces", body, len);
        result_free(&st);
        free(cuts);

        /* every 2-way cut, and some 3-way ones */
        for (i = 0; i <= len; i++) {
            cut[0] = i;
            ok = run_stream(body, len, conf, cut, 1, size, i & 7, NO_MASK,
                            1, &st);
            check(ok, "stream: guards, 2 pieces", input, NULL);
            compare(&j, &st, "stream: 2 pieces", body, len);
            result_free(&st);

            k = (i * 7 + 3) % (len + 1);
            cut[0] = (i < k) ? i : k;
            cut[1] = (i < k) ? k : i;
            ok = run_stream(body, len, conf, cut, 2, size, 0, NO_MASK, 0,
                            &st);
            check(ok, "stream: guards, 3 pieces", input, NULL);
            compare(&j, &st, "stream: 3 pieces", body, len);
            result_free(&st);
        }
    }

    result_free(&j);
}


/*
 * Every scratch size below the formula either gives jansson's answer or a
 * clean 500, and never writes outside the buffer.
 */

static void
stream_small_scratch(const ims_uchar_t *body, size_t len,
    const ims_patch_conf_t *conf, size_t step)
{
    int              ok, clean;
    char             input[200];
    size_t           size, max, nomem;
    stream_result_t  j, st;

    run_jansson(body, len, conf, &j);
    max = ims_stream_scratch_size(conf, len);
    show(input, sizeof(input), body, len);

    ok = 1;
    clean = 1;
    nomem = 0;

    for (size = 0; size <= max; size += step) {
        ok &= run_stream(body, len, conf, NULL, 0, size, size & 7, NO_MASK,
                         0, &st);

        if (st.rc == IMS_STREAM_NOMEM) {
            nomem++;
            clean &= (st.v.status == 500 && size < max);

        } else {
            compare(&j, &st, "stream: small scratch", body, len);
        }

        result_free(&st);
    }

    check(ok, "stream: small scratch stays inside", input, NULL);
    check(clean && nomem > 0, "stream: small scratch fails with 500", input,
          NULL);

    result_free(&j);
}


typedef struct {
    char           *p;
    size_t          len;
    size_t          size;
} stream_text_t;


static void
text_add(stream_text_t *t, const char *fmt, ...)
{
    int      n;
    va_list  args;

    for ( ;; ) {
        va_start(args, fmt);
        n = vsnprintf(t->p + t->len, t->size - t->len, fmt, args);
        va_end(args);

        if ((size_t) n < t->size - t->len) {
            t->len += n;
            return;
        }

        t->size = t->size * 2 + n + 256;
        t->p = realloc(t->p, t->size);
    }
}


static void
text_repeat(stream_text_t *t, const char *unit, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        text_add(t, "%s", unit);
    }
}


static void
text_run(stream_text_t *t, const ims_patch_conf_t *conf, int splits,
    size_t small_step)
{
    stream_differential((ims_uchar_t *) t->p, t->len, conf, splits);

    if (small_step) {
        stream_small_scratch((ims_uchar_t *) t->p, t->len, conf, small_step);
    }

    t->len = 0;
}


/* hostile and large bodies: many members, long names, deep nesting */

static void
stream_generated(void)
{
    size_t             i, k, n;
    stream_text_t      t;
    ims_patch_conf_t   conf;
    static const char  alphabet[] =
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`"
        "abcdefghijklmnopqrstuvwxyz{|}~";

    ims_patch_conf_init(&conf);
    t.p = malloc(256);
    t.size = 256;
    t.len = 0;

    /* 100,000 members in one object: must not be quadratic */
    for (k = 0; k < 3; k++) {
        text_add(&t, OP_HEAD "{");

        for (i = 0; i < (k ? 20000 : 100000); i++) {
            text_add(&t, "%s\"k%zu\":%zu", i ? "," : "", i, i);
        }

        text_add(&t, "%s}}]", k == 0 ? "" : k == 1 ? ",\"k17777\":0"
                                                   : ",\"\\u006b19999\":0");
        text_run(&t, &conf, 0, 0);
    }

    /* the tightest packing of names: all 1- and 2-byte ones */
    n = sizeof(alphabet) - 1;
    text_add(&t, "[{\"op\":\"remove\",\"path\":\"/x\",\"value\":{");

    for (i = 0; i < n; i++) {
        text_add(&t, "\"%c\":0,", alphabet[i]);
    }

    for (i = 0; i < n * n; i++) {
        text_add(&t, "\"%c%c\":0%s", alphabet[i / n], alphabet[i % n],
                 i + 1 < n * n ? "," : "");
    }

    text_add(&t, "}}]");
    text_run(&t, &conf, 0, 997);

    /* the same names at every level of nested hashed objects */
    for (k = 0; k < 2; k++) {
        text_add(&t, "[{\"op\":\"remove\",\"path\":\"/x\",\"value\":");

        for (i = 0; i < 21; i++) {
            text_add(&t, "{");

            for (n = 0; n < 12; n++) {
                text_add(&t, "\"n%zu\":%zu,", n, n);
            }

            text_add(&t, "\"in\":");
        }

        text_add(&t, "0");

        for (i = 0; i < 21; i++) {
            text_add(&t, ",\"after\":{\"n1\":1,\"n2\":2}}");
        }

        /* a repeat at the outermost level after the inner ones closed */
        text_add(&t, "%s}]", k ? ",\"n3\":1" : "");
        text_run(&t, &conf, 0, k ? 0 : 7);
    }

    /* names of 255 bytes and more */
    for (k = 0; k < 2; k++) {
        text_add(&t, "[{");

        for (i = 0; i < 40; i++) {
            text_add(&t, "\"%0*zu\":%zu,", (int) (250 + i), i, i);
        }

        text_add(&t, "\"%0*d\":{\"%0*d\":1}%s}]", 300, 7, 300, 7,
                 k ? ",\"00000000000000000000000000000000000000000000000"
                     "0000000000000000000000000000000000000000000000000000"
                     "0000000000000000000000000000000000000000000000000000"
                     "0000000000000000000000000000000000000000000000000000"
                     "000000000000000000000000000000000000000000000000003"
                     "\":2" : "");
        text_run(&t, &conf, 0, k ? 0 : 13);
    }

    /* a long value string, plain and escaped */
    text_add(&t, OP_HEAD "\"");
    text_repeat(&t, "abcdefgh", 10000);
    text_add(&t, "\"}]");
    text_run(&t, &conf, 0, 331);

    text_add(&t, OP_HEAD "\"");
    text_repeat(&t, "\\u00e9\\n", 10000);
    text_add(&t, "\"}]");
    text_run(&t, &conf, 0, 0);

    /* deep nesting of objects with empty names, around the limit of 32 */
    for (i = 30; i <= 33; i++) {
        text_add(&t, "[");
        text_repeat(&t, "{\"\":", i - 1);
        text_add(&t, "0");
        text_repeat(&t, "}", i - 1);
        text_add(&t, "]");
        text_run(&t, &conf, 1, 1);
    }

    /* jansson's own limit, with a gateway limit above it */
    conf.max_depth = 5000;

    for (i = 2045; i <= 2050; i++) {
        for (k = 0; k < 3; k++) {
            text_add(&t, "[{\"v\":");
            text_repeat(&t, "[", i - 2);
            text_add(&t, "%s", k == 0 ? "1" : k == 1 ? "[]" : "\"x\"");
            text_repeat(&t, "]", i - 2);
            text_add(&t, "}]");
            text_run(&t, &conf, 0, 0);
        }
    }

    /* the deepest objects jansson takes, names kept at every level */
    for (i = 2047; i <= 2049; i++) {
        text_add(&t, "[");
        text_repeat(&t, "{\"\":", i - 1);
        text_add(&t, "0");
        text_repeat(&t, "}", i - 1);
        text_add(&t, "]");
        text_run(&t, &conf, 0, i == 2047 ? 4099 : 0);

        text_add(&t, "[");
        text_repeat(&t, "{\"0123456789abcdef0123456789abcdef\":1,"
                        "\"x\":", i - 1);
        text_add(&t, "0");
        text_repeat(&t, "}", i - 1);
        text_add(&t, "]");
        text_run(&t, &conf, 0, 0);
    }

    text_repeat(&t, "[", 100000);
    text_run(&t, &conf, 0, 0);

    /* operation limits */
    ims_patch_conf_init(&conf);
    conf.max_ops = 3;

    for (i = 0; i <= 5; i++) {
        for (k = 0; k < 2; k++) {
            text_add(&t, "[");

            for (n = 0; n < i; n++) {
                text_add(&t, "%s{\"op\":\"%s\",\"i\":%zu}", n ? "," : "",
                         k ? "stop" : "x", n);
            }

            text_add(&t, "]");
            text_run(&t, &conf, 1, 0);
        }
    }

    conf.max_ops = 0;
    text_add(&t, "[]");
    text_run(&t, &conf, 1, 0);
    text_add(&t, "[{}]");
    text_run(&t, &conf, 1, 0);

    ims_patch_conf_init(&conf);

    for (i = 0; i <= 3; i++) {
        conf.max_depth = i;
        text_add(&t, "[]");
        text_run(&t, &conf, 1, 0);
        text_add(&t, "[{\"op\":\"stop\"}]");
        text_run(&t, &conf, 1, 0);
        text_add(&t, "[{\"v\":[1]}]");
        text_run(&t, &conf, 1, 0);
        text_add(&t, "[{\"v\":{}}]");
        text_run(&t, &conf, 1, 0);
    }

    free(t.p);
}


/* one body whose verdict is known: 0 or 400, and jansson's too */

static void
stream_utf8_one(const ims_uchar_t *body, size_t len, int status,
    const ims_patch_conf_t *conf, stream_emitted_t *e)
{
    char           input[200];
    ims_verdict_t  v;

    ims_read_patch_stream(body, len, conf, stream_collect, e, &v);
    show(input, sizeof(input), body, len);
    check(v.status == status && (status == 0 || v.code == IMS_IMG_0001),
          "stream: UTF-8 by RFC 3629", input, v.detail);
    stream_differential(body, len, conf, 1);
}


/*
 * Bodies in the shapes clients send (the fast path's, compact and spaced),
 * and one for the state machine, each with every byte in turn changed to
 * its neighbours, to '\\' or 0x80, dropped or doubled: every near miss of
 * each template must get jansson's verdict.  Then strings that hold the
 * template's own punctuation, or end at a byte the fast path stops at.
 */

static void
stream_perturbed(void)
{
    size_t              i, k, n, len;
    ims_uchar_t        *buf;
    stream_text_t       t;
    ims_patch_conf_t    conf;
    static const char  *heads[] = {
        "[{\"op\":\"", "[{\"op\":\"add\",\"path\":\"/",
        "[{\"remove\":\"/b\",\"value\":\"", "[{\"replace\":\""
    };
    static const char  *ends[] = {
        "\",\"path\":\"/a\"}]", "\"}]", "\"}]", "\"},{\"add\":\"/c\"}]"
    };
    static const char  *tails[] = {
        "", "}", "\"}", "\\\"}", "\",\"value\":\"v\"}", "\\}", "\x01}",
        "\xc3}", "\xc3\xa9}", "]", "\"},{", "\"x"
    };
    static const char  *shapes[] = {
        "[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"x\"},"
        "{\"op\":\"remove\",\"path\":\"/b\"}]",
        "[{\"op\": \"replace\", \"path\": \"/name\", \"value\": \"ok\"}, "
        "{\"op\": \"remove\", \"path\": \"/c\"}]",
        "[{\"remove\":\"/a\"},{\"replace\":\"/b\",\"value\":\"y\"},"
        "{\"add\": \"/c\", \"value\": \"z\"}]",
        "[ {\"op\" : \"add\" , \"path\" : \"/d\" , \"value\" : \"w\" } ]",
        "[{\"op\":\"add\",\"path\":\"/\\u00e9\",\"value\":{\"a\":[1,-2.5e3,"
        "true,null,false,\"\\ud83d\\ude00\",0.5E+2]}}]",
        "[{\"op\":\"replace\",\"path\":\"/x\",\"value\":\"\xe4\xb8\xad\"}]"
    };

    ims_patch_conf_init(&conf);

    for (k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
        len = strlen(shapes[k]);
        buf = malloc(len + 1);

        for (i = 0; i < len; i++) {
            for (n = 0; n < 6; n++) {
                memcpy(buf, shapes[k], len);

                if (n == 4) {
                    memmove(buf + i, buf + i + 1, len - i - 1);
                    stream_differential(buf, len - 1, &conf, 0);
                    continue;
                }

                if (n == 5) {
                    memcpy(buf + i + 1, shapes[k] + i, len - i);
                    stream_differential(buf, len + 1, &conf, 0);
                    continue;
                }

                buf[i] = (n == 0) ? buf[i] - 1 : (n == 1) ? buf[i] + 1
                         : (n == 2) ? '\\' : 0x80;
                stream_differential(buf, len, &conf, 0);
            }
        }

        free(buf);
    }

    t.p = malloc(256);
    t.size = 256;
    t.len = 0;

    for (i = 0; i < 12; i++) {
        for (k = 0; k < sizeof(tails) / sizeof(tails[0]); k++) {
            for (n = 0; n < 4; n++) {
                text_add(&t, "%s%.*s%s%s", heads[n], (int) i, "abcdefghijkl",
                         tails[k], ends[n]);
                text_run(&t, &conf, 0, 0);
            }
        }
    }

    free(t.p);
}


/*
 * UTF-8 by RFC 3629, table 4 ("UTF8-octets"), written out: each lead byte
 * with the range of its first continuation byte; the others are 80-BF.
 */

static void
stream_utf8(void)
{
    int                  status;
    char                 body[64];
    size_t               i, k, n, len;
    unsigned             c[4], second[6], other[4];
    stream_emitted_t     e;
    ims_patch_conf_t     conf;
    static const struct {
        unsigned         lead, lo, hi, n;
    } leads[] = {
        { 0xc2, 0x80, 0xbf, 2 }, { 0xdf, 0x80, 0xbf, 2 },
        { 0xe0, 0xa0, 0xbf, 3 }, { 0xe1, 0x80, 0xbf, 3 },
        { 0xec, 0x80, 0xbf, 3 }, { 0xed, 0x80, 0x9f, 3 },
        { 0xee, 0x80, 0xbf, 3 }, { 0xef, 0x80, 0xbf, 3 },
        { 0xf0, 0x90, 0xbf, 4 }, { 0xf1, 0x80, 0xbf, 4 },
        { 0xf3, 0x80, 0xbf, 4 }, { 0xf4, 0x80, 0x8f, 4 },
        /* never a lead byte: n 0 */
        { 0x80, 0, 0, 0 }, { 0xbf, 0, 0, 0 }, { 0xc0, 0, 0, 0 },
        { 0xc1, 0, 0, 0 }, { 0xf5, 0, 0, 0 }, { 0xf7, 0, 0, 0 },
        { 0xf8, 0, 0, 0 }, { 0xfe, 0, 0, 0 }, { 0xff, 0, 0, 0 }
    };

    ims_patch_conf_init(&conf);
    memset(&e, 0, sizeof(e));

    other[0] = 0x7f;
    other[1] = 0x80;
    other[2] = 0xbf;
    other[3] = 0xc0;

    for (i = 0; i < sizeof(leads) / sizeof(leads[0]); i++) {
        second[0] = leads[i].lo - 1;
        second[1] = leads[i].lo;
        second[2] = leads[i].hi;
        second[3] = leads[i].hi + 1;
        second[4] = 0x7f;
        second[5] = 0xc0;

        for (k = 0; k < 6 + 4 * 2; k++) {
            c[0] = leads[i].lead;
            c[1] = (k < 6) ? second[k] : leads[i].lo;
            c[2] = (k >= 6 && k < 10) ? other[k - 6] : 0x80;
            c[3] = (k >= 10) ? other[k - 10] : 0xbf;

            if (leads[i].n == 0) {
                c[1] = 0x80;
                c[2] = 0x80;
                c[3] = 0x80;
            }

            n = leads[i].n ? leads[i].n : 4;

            /* valid: in the lead's ranges, the others all 80-BF */
            status = (leads[i].n != 0 && c[1] >= leads[i].lo
                      && c[1] <= leads[i].hi
                      && (n < 3 || (c[2] >= 0x80 && c[2] <= 0xbf))
                      && (n < 4 || (c[3] >= 0x80 && c[3] <= 0xbf)))
                     ? 0 : 400;

            /* as a value, then as a member name, then in a name with more */
            len = snprintf(body, sizeof(body), "[{\"v\":\"%c%c%c%c\"}]",
                           c[0], c[1], n > 2 ? c[2] : 'x',
                           n > 3 ? c[3] : 'y');
            stream_utf8_one((ims_uchar_t *) body, len, status, &conf, &e);

            len = snprintf(body, sizeof(body), "[{\"%c%c%c%c\":1}]",
                           c[0], c[1], n > 2 ? c[2] : 'x',
                           n > 3 ? c[3] : 'y');
            stream_utf8_one((ims_uchar_t *) body, len, status, &conf, &e);

            len = snprintf(body, sizeof(body),
                           "[{\"op\":\"add\",\"path\":\"/%c%c%c%c\","
                           "\"value\":\"%c%c%c%cz\"}]",
                           c[0], c[1], n > 2 ? c[2] : 'x',
                           n > 3 ? c[3] : 'y', c[0], c[1],
                           n > 2 ? c[2] : 'x', n > 3 ? c[3] : 'y');
            stream_utf8_one((ims_uchar_t *) body, len, status, &conf, &e);
        }
    }

    free(e.buf);
}


/* n bytes as they are, NUL included */

static void
text_bytes(stream_text_t *t, const char *p, size_t n)
{
    if (t->len + n + 1 > t->size) {
        t->size = (t->len + n) * 2 + 256;
        t->p = realloc(t->p, t->size);
    }

    memcpy(t->p + t->len, p, n);
    t->len += n;
}


/*
 * Strings of every length from 0 to 40 and each byte the scanners must
 * stop at (or must not) at every position of them: kept (operation
 * members, read by the state machine since an unknown member comes
 * first, or by the fast path), skipped (another member's value) and as
 * member names; the 16-byte blocks of the scanner and their tails.
 */

static void
stream_string_bytes(void)
{
    size_t             i, k, n, m;
    char               str[48];
    stream_text_t      t;
    ims_patch_conf_t   conf;
    static const char  special[] = {
        0x00, 0x01, 0x1f, 0x20, 0x21, '"', '#', '\\', ']', 0x7e, 0x7f,
        (char) 0x80, (char) 0xc3, (char) 0xff
    };

    ims_patch_conf_init(&conf);
    t.p = malloc(256);
    t.size = 256;
    t.len = 0;

    /* each printable character alone, where no 16-byte block is read */
    for (i = 0x20; i < 0x7f; i++) {
        if (i == '"' || i == '\\') {
            continue;
        }

        text_add(&t, "[{\"op\":\"add\",\"path\":\"/%c\",\"value\":\"%c\","
                 "\"%c\":\"%c\"}]", (int) i, (int) i, (int) i, (int) i);
        text_run(&t, &conf, 0, 0);
    }

    for (n = 0; n <= 40; n++) {
        for (i = 0; i < n; i++) {
            str[i] = (char) ('a' + i % 26);
        }

        /* k == sizeof(special): the plain string */
        for (k = 0; k <= sizeof(special); k++) {
            m = (k < sizeof(special)) ? n : 1;

            for (i = 0; i < m; i++) {
                if (k < sizeof(special)) {
                    str[i] = special[k];
                }

                text_add(&t, "[{\"x\":\"");
                text_bytes(&t, str, n);
                text_add(&t, "\",\"op\":\"add\",\"path\":\"/");
                text_bytes(&t, str, n);
                text_add(&t, "\",\"value\":\"");
                text_bytes(&t, str, n);
                text_add(&t, "\"}]");
                text_run(&t, &conf, 0, 0);

                text_add(&t, "[{\"op\":\"add\",\"path\":\"/");
                text_bytes(&t, str, n);
                text_add(&t, "\",\"value\":\"");
                text_bytes(&t, str, n);
                text_add(&t, "\"},{\"");
                text_bytes(&t, str, n);
                text_add(&t, "\":1}]");
                text_run(&t, &conf, 0, 0);

                str[i] = (char) ('a' + i % 26);
            }
        }
    }

    free(t.p);
}


/*
 * Member names of 255 bytes and more have a longer record: each repeated
 * in its object, few (a linear scan) or many (hashed), at the operation's
 * level and deeper, after an inner object of the same names closed, after
 * a kept operation string; and names that differ only in their length.
 */

static void
stream_long_names(void)
{
    int                status;
    char               input[64];
    size_t             i, k, n, len;
    stream_text_t      t;
    ims_verdict_t      v;
    stream_emitted_t   e;
    ims_patch_conf_t   conf;
    static const size_t  sizes[] = { 254, 255, 256, 300, 1000 };

    ims_patch_conf_init(&conf);
    memset(&e, 0, sizeof(e));
    t.p = malloc(256);
    t.size = 256;
    t.len = 0;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        n = sizes[i];

        for (k = 0; k < 12; k++) {
            /*
             * k & 1: a repeat; k & 2: hashed; k & 4: one level down;
             * k & 8: a kept string before, a member after
             */
            text_add(&t, "[{%s%s", (k & 8) ? "\"value\":\"kept\"," : "",
                     (k & 4) ? "\"v\":{" : "");

            if (k & 2) {
                text_add(&t, "\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,");
                text_add(&t, "\"f\":6,\"g\":7,\"h\":8,\"i\":9,");
            }

            text_add(&t, "\"%0*d\":{\"%0*d\":1,\"%0*d\":2},", (int) n, 7,
                     (int) n, 7, (int) n, 8);
            text_add(&t, "\"%0*d\":1,\"%0*d\":2,", (int) n, 1, (int) n + 1,
                     1);
            text_add(&t, "\"%0*d\":3%s}%s]", (int) n, (k & 1) ? 7 : 9,
                     (k & 8) ? ",\"z\":0" : "", (k & 4) ? "}" : "");

            status = (k & 1) ? 400 : 0;
            len = t.len;

            ims_read_patch_stream((ims_uchar_t *) t.p, len, &conf,
                                  stream_collect, &e, &v);
            snprintf(input, sizeof(input), "name of %zu bytes, case %zu", n,
                     k);
            check(v.status == status, "stream: long names", input,
                  v.detail);

            text_run(&t, &conf, 0, (n == 255 || (n == 256 && k >= 8)) ? 1
                                                                      : 0);
        }
    }

    free(t.p);
    free(e.buf);
}


/*
 * The hash table against flooding (white box, through the fields of
 * ims_stream_t): a key drawn at random, and the names of a big object
 * spread over the buckets, not in a few chains.
 */

static void
stream_hash_spread(void)
{
    int                rc;
    size_t             i, used, size;
    stream_text_t      t;
    ims_uchar_t       *mem;
    ims_stream_t       s;
    ims_verdict_t      v;
    stream_emitted_t   e;
    ims_patch_conf_t   conf;

    ims_patch_conf_init(&conf);
    memset(&e, 0, sizeof(e));
    t.p = malloc(256);
    t.size = 256;
    t.len = 0;

    text_add(&t, OP_HEAD "{");

    for (i = 0; i < 2000; i++) {
        text_add(&t, "\"k%zu\":%zu,", i, i);
    }

    size = ims_stream_scratch_size(&conf, t.len);
    mem = malloc(size);

    rc = ims_stream_init(&s, &conf, stream_collect, &e, mem, size);
    check(rc == IMS_STREAM_OK && (s.hash_key[0] | s.hash_key[1]) != 0
          && s.hash_key[0] != s.hash_key[1], "stream: a random hash key",
          "", NULL);

    /* the object is still open: its names are all in the table */
    rc = ims_stream_feed(&s, (ims_uchar_t *) t.p, t.len, &v);

    for (used = 0, i = 0; rc == IMS_STREAM_OK && i <= s.bucket_mask; i++) {
        used += (s.buckets[i] != 0);
    }

    check(rc == IMS_STREAM_OK && s.bucket_mask >= 63
          && used * 2 > s.bucket_mask + 1, "stream: names spread over buckets",
          "", NULL);

    free(mem);
    free(t.p);
    free(e.buf);
}


/*
 * SipHash-c-d as its paper (Aumasson and Bernstein, 2012) gives it, the
 * 64-bit output v0 ^ v1 ^ v2 ^ v3, little-endian words.
 */

#define SIP_ROTL(x, b)  (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t
ref_siphash(const uint64_t key[2], const ims_uchar_t *p, size_t len,
    int c, int d)
{
    int       r;
    size_t    i, k;
    uint64_t  v0, v1, v2, v3, m;

    v0 = key[0] ^ 0x736f6d6570736575ULL;
    v1 = key[1] ^ 0x646f72616e646f6dULL;
    v2 = key[0] ^ 0x6c7967656e657261ULL;
    v3 = key[1] ^ 0x7465646279746573ULL;

    for (i = 0; i <= len; i += 8) {
        m = 0;

        if (i + 8 <= len) {
            for (k = 0; k < 8; k++) {
                m |= (uint64_t) p[i + k] << (8 * k);
            }

        } else {
            for (k = 0; i + k < len; k++) {
                m |= (uint64_t) p[i + k] << (8 * k);
            }

            m |= (uint64_t) len << 56;
        }

        v3 ^= m;

        for (r = 0; r < c; r++) {
            v0 += v1; v1 = SIP_ROTL(v1, 13); v1 ^= v0; v0 = SIP_ROTL(v0, 32);
            v2 += v3; v3 = SIP_ROTL(v3, 16); v3 ^= v2;
            v0 += v3; v3 = SIP_ROTL(v3, 21); v3 ^= v0;
            v2 += v1; v1 = SIP_ROTL(v1, 17); v1 ^= v2; v2 = SIP_ROTL(v2, 32);
        }

        v0 ^= m;

        if (i + 8 > len) {
            break;
        }
    }

    v2 ^= 0xff;

    for (r = 0; r < d; r++) {
        v0 += v1; v1 = SIP_ROTL(v1, 13); v1 ^= v0; v0 = SIP_ROTL(v0, 32);
        v2 += v3; v3 = SIP_ROTL(v3, 16); v3 ^= v2;
        v0 += v3; v3 = SIP_ROTL(v3, 21); v3 ^= v0;
        v2 += v1; v1 = SIP_ROTL(v1, 17); v1 ^= v2; v2 = SIP_ROTL(v2, 32);
    }

    return v0 ^ v1 ^ v2 ^ v3;
}


/*
 * The hash of member names is SipHash-1-3 under the reader's key (white
 * box: the table's buckets, through the fields of ims_stream_t): the
 * buckets an open object's names fill are exactly those of their hashes.
 * Names of every length from 0 to 20 (each tail of a 64-bit word), bytes
 * above 0x7f among them.
 */

static void
stream_siphash(void)
{
    int                 rc, ok;
    size_t              i, k, size;
    uint32_t            want;
    uint64_t            key[2];
    stream_text_t       t;
    ims_uchar_t        *mem, *hit, name[24];
    ims_stream_t        s;
    ims_verdict_t       v;
    stream_emitted_t    e;
    ims_patch_conf_t    conf;
    static const ims_uchar_t  k16[16] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    };

    /* the reference against the published vectors, key 00..0f */
    key[0] = 0x0706050403020100ULL;
    key[1] = 0x0f0e0d0c0b0a0908ULL;
    check(ref_siphash(key, k16, 0, 2, 4) == 0x726fdb47dd0e0e31ULL
          && ref_siphash(key, k16, 15, 2, 4) == 0xa129ca6149be45e5ULL
          && ref_siphash(key, k16, 0, 1, 3) == 0xabac0158050fc4dcULL,
          "stream: reference SipHash", "", NULL);

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    ims_patch_conf_init(&conf);
    memset(&e, 0, sizeof(e));
    t.p = malloc(256);
    t.size = 256;
    t.len = 0;

    size = 65536;
    mem = malloc(size);
    hit = calloc(size, 1);

    rc = ims_stream_init(&s, &conf, stream_collect, &e, mem, size);
    ok = (rc == IMS_STREAM_OK && s.bucket_mask >= 255
          && s.bucket_mask < size);

    text_add(&t, OP_HEAD "{");

    for (i = 0; ok && i <= 20; i++) {
        /* "é" (C3 A9) i / 2 times, or i letters */
        for (k = 0; k < i; k++) {
            name[k] = (i % 2) ? 'a' + (i + k) % 26 : (k % 2) ? 0xa9 : 0xc3;
        }

        text_add(&t, "\"");
        text_bytes(&t, (char *) name, i);
        text_add(&t, "\":%zu,", i);

        want = (uint32_t) ref_siphash(s.hash_key, name, i, 1, 3);
        hit[want & s.bucket_mask] = 1;
    }

    /* the object is still open: its names are all in the table */
    rc = ims_stream_feed(&s, (ims_uchar_t *) t.p, t.len, &v);
    ok = ok && rc == IMS_STREAM_OK;

    for (i = 0; ok && i <= s.bucket_mask; i++) {
        ok = ((s.buckets[i] != 0) == hit[i]);
    }

    check(ok, "stream: names hashed with SipHash-1-3", "", NULL);

    free(hit);
    free(mem);
    free(t.p);
    free(e.buf);
#endif
}


/*
 * The fast path reads an operation in the usual shape in place, whole in
 * a piece: its strings, however long, need no scratch.  Compact, with a
 * space after ':' and ',' (as encoders write), pretty-printed, and v2.0,
 * with each verb; at the smallest depth limit that allows operations.
 * (Whitespace before a ',' sends the object to the state machine.)
 */

static void
stream_in_place(void)
{
    size_t             i, k, size;
    char              *big;
    stream_text_t      t;
    stream_result_t    j, st;
    ims_patch_conf_t   conf;
    static const char  *shapes[] = {
        "[{\"op\":\"%s\",\"path\":\"/%s\",\"value\":\"%s\"}]",
        "[{\"op\": \"%s\", \"path\": \"/%s\", \"value\": \"%s\"}]",
        "[\n  {\n    \"op\": \"%s\",\n    \"path\": \"/%s\",\n"
        "    \"value\": \"%s\"\n  }\n]\n",
        "[ { \"op\" : \"%s\", \"path\" : \"/%s\",\t\"value\" : \"%s\" } ]",
        "[{\"op\":\"%s\",\"path\":\"/%s\"},{\"op\":\"add\",\"path\":\"/x\","
        "\"value\":\"%s\"}]",
        "[{\"%s\":\"/%s\",\"value\":\"%s\"}]",
        "[{\"%s\": \"/%s\", \"value\": \"%s\"}]",
        "[ {\t\"%s\" :\t\"/%s\",\r\n\"value\"\n:\"%s\"} ]"
    };
    static const char  *verbs[] = { "add", "replace", "remove" };

    t.p = malloc(256);
    t.size = 256;
    t.len = 0;

    big = malloc(10001);

    for (i = 0; i < 10000; i++) {
        big[i] = 'a' + i % 26;
    }

    big[10000] = '\0';

    for (k = 0; k < 2; k++) {
        ims_patch_conf_init(&conf);

        if (k) {
            conf.max_depth = 2;
        }

        /* the least scratch: that of an empty body */
        size = ims_stream_scratch_size(&conf, 0);

        for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]) * 3; i++) {
            text_add(&t, shapes[i / 3], verbs[i % 3], big + 9000, big);

            run_jansson((ims_uchar_t *) t.p, t.len, &conf, &j);
            run_stream((ims_uchar_t *) t.p, t.len, &conf, NULL, 0, size, 0,
                       NO_MASK, 1, &st);
            compare(&j, &st, "stream: read in place", (ims_uchar_t *) t.p,
                    t.len);
            check(j.rc == 0 && j.e.n > 0, "stream: read in place, passes",
                  shapes[i / 3], NULL);
            result_free(&j);
            result_free(&st);

            t.len = 0;
        }
    }

    free(big);
    free(t.p);
}


/*
 * Kept strings longer than the smallest scratch holds, so that decoding
 * runs out of room in each kind of byte: escapes, \\u escapes, surrogate
 * pairs, the lead and continuation bytes of 2-, 3- and 4-byte characters;
 * shifted by 0 to 3 bytes, since the room grows 4 bytes at a time.
 */

static void
stream_tight(void)
{
    size_t             i, k;
    stream_text_t      t;
    ims_patch_conf_t   conf;
    static const char  *units[] = {
        "\\n", "\\u00e9", "\\ud83d\\ude00", "\xc3\xa9", "\xe4\xb8\xad",
        "\xf0\x9f\x98\x80"
    };

    ims_patch_conf_init(&conf);
    t.p = malloc(256);
    t.size = 256;
    t.len = 0;

    for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
        for (i = 0; i < 4; i++) {
            text_add(&t, OP_HEAD "\"%.*s", (int) i, "abc");
            text_repeat(&t, units[k], 80);
            text_add(&t, "\"}]");
            text_run(&t, &conf, 0, 1);

            /* in the name "path", escaped, and in its value */
            text_add(&t, "[{\"op\":\"add\",\"pa\\u0074h\":\"%.*s", (int) i,
                     "abc");
            text_repeat(&t, units[k], 80);
            text_add(&t, "\"}]");
            text_run(&t, &conf, 0, 1);
        }
    }

    free(t.p);
}


typedef struct {
    const char  *body;
    size_t       len;
    int          status;
} stream_anchor_t;


#define A(s, status)  { s, sizeof(s) - 1, status }


/*
 * Verdicts pinned down, so that a change in jansson cannot move both
 * readers at once unnoticed.
 */
static const stream_anchor_t  stream_anchors[] = {
    A("[]", 0),
    A("[{\"op\":\"x\",\"v\":1\0}]", 400),
    A("[{\"op\":\"x\",\"v\":true\0}]", 400),
    A("[{\"op\":\"x\",\"v\":1 \0}]", 400),
    A("[{\"op\":\"x\",\"v\":1\0 }]", 400),
    A("[{\"op\":\"x\",\"v\":1\0\0}]", 400),
    A("[{\"op\":\"x\"}]\0", 400),
    A("[{\"v\":1e308}]", 0),
    A("[{\"v\":1e309}]", 400),
    A("[{\"v\":-1e400}]", 400),
    A("[{\"v\":1e-400}]", 0),
    A("[{\"v\":1.7976931348623157e308}]", 0),
    A("[{\"v\":1.797693134862315807937289714053e308}]", 0),
    A("[{\"v\":1.797693134862315807937289714054e308}]", 400),
    A("[{\"v\":\"a\\u0000b\"}]", 0),
    A("[{\"a\\u0000b\":1}]", 400),
    A("[{\"v\":\"\\ud83d\\ude00\"}]", 0),
    A("[{\"v\":\"\\ud83d\"}]", 400),
    A("[{\"v\":\"\\ude00\"}]", 400),
    A("[{\"v\":{\"a\":{\"b\":1,\"\\u0062\":2}}}]", 400),
    A("[{\"op\":\"x\",\"\\u006fp\":\"x\"}]", 400),
    A("[{\"op\":\"stop\"},1]", 400),
    A("[{\"op\":\"stop\"},{}]", 422),
};


static void
stream_anchored(void)
{
    size_t                  i;
    ims_verdict_t           v;
    stream_emitted_t        e;
    ims_patch_conf_t        conf;
    const stream_anchor_t  *a;

    ims_patch_conf_init(&conf);
    memset(&e, 0, sizeof(e));

    for (i = 0; i < sizeof(stream_anchors) / sizeof(stream_anchors[0]); i++) {
        a = &stream_anchors[i];

        ims_read_patch_stream((const ims_uchar_t *) a->body, a->len, &conf,
                              stream_collect, &e, &v);
        check(v.status == a->status, "stream: anchored verdict", a->body,
              v.detail);
    }

    free(e.buf);
}


typedef struct {
    const char  *body;
    size_t       len;
    size_t       max_depth;         /* 0: the default */
    size_t       max_ops;           /* 0: the default */
    int          status;
    const char  *detail;
} stream_message_t;


#define M(s, depth, ops, status, detail)                                     \
    { s, sizeof(s) - 1, depth, ops, status, detail }

#define JSON_ERR(at, what)                                                   \
    "The body is not valid JSON (byte " #at ": " what ")."

#define NOT_OBJ(i)  "Operation " #i ": operations must be JSON objects."


/*
 * Each document error with its message: the byte offset is that of the
 * byte at which the document can no longer be valid (for a \u escape,
 * the byte after it; for a name or a number, the byte after it, where it
 * is known to be whole), the same however the body is cut.
 */
static const stream_message_t  stream_messages[] = {
    M("x", 0, 0, 400, JSON_ERR(0, "unexpected character")),
    M("]", 0, 0, 400, JSON_ERR(0, "unexpected character")),
    M("{}", 0, 0, 400,
      "The body must be a JSON array of operation objects."),
    M(" \"x\"", 0, 0, 400,
      "The body must be a JSON array of operation objects."),
    M("-1", 0, 0, 400,
      "The body must be a JSON array of operation objects."),
    M("9", 0, 0, 400,
      "The body must be a JSON array of operation objects."),
    M("0", 0, 0, 400,
      "The body must be a JSON array of operation objects."),
    M("true", 0, 0, 400,
      "The body must be a JSON array of operation objects."),
    M("false", 0, 0, 400,
      "The body must be a JSON array of operation objects."),
    M("null", 0, 0, 400,
      "The body must be a JSON array of operation objects."),
    M("/", 0, 0, 400, JSON_ERR(0, "unexpected character")),
    M(":", 0, 0, 400, JSON_ERR(0, "unexpected character")),
    M("  [] x", 0, 0, 400, JSON_ERR(5, "data after the document")),
    M("[]]", 0, 0, 400, JSON_ERR(2, "data after the document")),
    M("[\n]\t\r\n ,", 0, 0, 400, JSON_ERR(7, "data after the document")),
    M("[", 0, 0, 400, JSON_ERR(1, "premature end")),
    M("[ ", 0, 0, 400, JSON_ERR(2, "premature end")),
    M("[{\"a\":", 0, 0, 400, JSON_ERR(6, "premature end")),
    M("[{\"a\":1", 0, 0, 400, JSON_ERR(7, "premature end")),
    M("[{\"a\":\"x", 0, 0, 400, JSON_ERR(8, "premature end")),
    M("[{\"op\":\"add\"", 0, 0, 400, JSON_ERR(12, "premature end")),
    M("[{\"op\":\"add\"}", 0, 0, 400, JSON_ERR(13, "premature end")),
    M("[{\"op\":\"add\",\"path\":\"/a\"},", 0, 0, 400,
      JSON_ERR(26, "premature end")),
    M("[1]", 0, 0, 400, NOT_OBJ(0)),
    M("[{},[]]", 0, 0, 400, NOT_OBJ(1)),
    M("[{},{},\"x\"]", 0, 0, 400, NOT_OBJ(2)),
    M("[{\"op\":\"add\",\"path\":\"/a\"},{\"op\":\"add\",\"path\":\"/b\"},"
      "null]", 0, 0, 400, NOT_OBJ(2)),
    M("[{\"a\":1,}]", 0, 0, 400, JSON_ERR(8, "unexpected character")),
    M("[{\"a\":1]", 0, 0, 400, JSON_ERR(7, "unexpected character")),
    M("[{\"a\":[1}]", 0, 0, 400, JSON_ERR(8, "unexpected character")),
    M("[{\"a\" 1}]", 0, 0, 400, JSON_ERR(6, "unexpected character")),
    M("[{\"a\":1 2}]", 0, 0, 400, JSON_ERR(8, "unexpected character")),
    M("[{1:2}]", 0, 0, 400, JSON_ERR(2, "unexpected character")),
    M("[{\"op\":\"add\"}x]", 0, 0, 400, JSON_ERR(13, "unexpected character")),
    M("[{\"a\":\"\x01\"}]", 0, 0, 400,
      JSON_ERR(7, "control character in a string")),
    M("[{\"a\":\"xy\x1f\"}]", 0, 0, 400,
      JSON_ERR(9, "control character in a string")),
    M("[{\"a\":\"\xc3\xc0\"}]", 0, 0, 400, JSON_ERR(8, "invalid UTF-8")),
    M("[{\"a\":\"\xc0\x80\"}]", 0, 0, 400, JSON_ERR(7, "invalid UTF-8")),
    M("[{\"a\":\"\xe4\xb8\xc0\"}]", 0, 0, 400,
      JSON_ERR(9, "invalid UTF-8")),
    M("[{\"a\":\"\\x\"}]", 0, 0, 400, JSON_ERR(8, "invalid escape")),
    M("[{\"a\":\"\\u12G4\"}]", 0, 0, 400, JSON_ERR(11, "invalid escape")),
    M("[{\"a\":\"\\ud800x\"}]", 0, 0, 400,
      JSON_ERR(13, "unpaired surrogate escape")),
    M("[{\"a\":\"\\ud800\\x\"}]", 0, 0, 400,
      JSON_ERR(14, "unpaired surrogate escape")),
    M("[{\"a\":\"\\ud800\\u0041\"}]", 0, 0, 400,
      JSON_ERR(19, "unpaired surrogate escape")),
    M("[{\"a\":\"\\udc00\"}]", 0, 0, 400,
      JSON_ERR(13, "unpaired surrogate escape")),
    M("[{\"a\\u0000\":1}]", 0, 0, 400,
      JSON_ERR(10, "U+0000 in a member name")),
    M("[{\"a\"::1}]", 0, 0, 400, JSON_ERR(6, "unexpected character")),
    M("[{\"a\":/1}]", 0, 0, 400, JSON_ERR(6, "unexpected character")),
    M("[{\"a\":[:]}]", 0, 0, 400, JSON_ERR(7, "unexpected character")),
    M("[{\"a\":s}]", 0, 0, 400, JSON_ERR(6, "unexpected character")),
    M("[{\"a\":u}]", 0, 0, 400, JSON_ERR(6, "unexpected character")),
    M("[{\"a\":01}]", 0, 0, 400, JSON_ERR(7, "invalid number")),
    M("[{\"a\":-x}]", 0, 0, 400, JSON_ERR(7, "invalid number")),
    M("[{\"a\":1.}]", 0, 0, 400, JSON_ERR(8, "invalid number")),
    M("[{\"a\":1e}]", 0, 0, 400, JSON_ERR(8, "invalid number")),
    M("[{\"a\":1e-x}]", 0, 0, 400, JSON_ERR(9, "invalid number")),
    /* '/' and ':', the bytes around the digits, in each number state */
    M("[{\"a\":1/}]", 0, 0, 400, JSON_ERR(7, "unexpected character")),
    M("[{\"a\":1:}]", 0, 0, 400, JSON_ERR(7, "unexpected character")),
    M("[{\"a\":0/}]", 0, 0, 400, JSON_ERR(7, "unexpected character")),
    M("[{\"a\":0:}]", 0, 0, 400, JSON_ERR(7, "unexpected character")),
    M("[{\"a\":-/}]", 0, 0, 400, JSON_ERR(7, "invalid number")),
    M("[{\"a\":-:}]", 0, 0, 400, JSON_ERR(7, "invalid number")),
    M("[{\"a\":1./}]", 0, 0, 400, JSON_ERR(8, "invalid number")),
    M("[{\"a\":1.:}]", 0, 0, 400, JSON_ERR(8, "invalid number")),
    M("[{\"a\":1.5/}]", 0, 0, 400, JSON_ERR(9, "unexpected character")),
    M("[{\"a\":1.5:}]", 0, 0, 400, JSON_ERR(9, "unexpected character")),
    M("[{\"a\":1e/}]", 0, 0, 400, JSON_ERR(8, "invalid number")),
    M("[{\"a\":1e:}]", 0, 0, 400, JSON_ERR(8, "invalid number")),
    M("[{\"a\":1e+/}]", 0, 0, 400, JSON_ERR(9, "invalid number")),
    M("[{\"a\":1e-:}]", 0, 0, 400, JSON_ERR(9, "invalid number")),
    M("[{\"a\":1e5/}]", 0, 0, 400, JSON_ERR(9, "unexpected character")),
    M("[{\"a\":1e5:}]", 0, 0, 400, JSON_ERR(9, "unexpected character")),
    M("[{\"a\":1e400}]", 0, 0, 400,
      JSON_ERR(11, "number out of the range of a double")),
    M("[{\"a\":[-2e308 ]}]", 0, 0, 400,
      JSON_ERR(13, "number out of the range of a double")),
    M("[{\"a\":tru}]", 0, 0, 400, JSON_ERR(9, "invalid literal")),
    M("[{\"a\":nulL}]", 0, 0, 400, JSON_ERR(9, "invalid literal")),
    M("[{\"a\":fals}]", 0, 0, 400, JSON_ERR(10, "invalid literal")),
    M("[{\"a\":1,\"a\":2}]", 0, 0, 400,
      JSON_ERR(11, "repeated member name")),
    M("[{\"op\":\"x\",\"op\":\"y\"}]", 0, 0, 400,
      JSON_ERR(15, "repeated member name")),
    M("[{\"a\":[[1]]}]", 3, 0, 400,
      "The body nests more than 3 levels deep."),
    M("[{\"a\":[1]}]", 2, 0, 400,
      "The body nests more than 2 levels deep."),
    M("[{},{},{}]", 0, 2, 400, "The patch has more than 2 operations."),
    M("[{\"op\":\"add\",\"path\":\"/a\"},{\"op\":\"add\",\"path\":\"/b\"}]",
      0, 1, 400, "The patch has more than 1 operations."),
};


static void
stream_message_check(const stream_message_t *m, const ims_patch_conf_t *conf,
    const stream_result_t *r, const char *what)
{
    int   ok;
    char  got[IMS_DETAIL_MAX + 32];

    ok = r->rc == IMS_STREAM_REJECT && r->v.status == m->status
         && r->v.code == IMS_IMG_0001 && strcmp(r->v.detail, m->detail) == 0;

    snprintf(got, sizeof(got), "%d %d %s", r->rc, r->v.status, r->v.detail);
    check(ok, what, m->body, ok ? NULL : got);
}


static void
stream_messages_test(void)
{
    char                     want[IMS_DETAIL_MAX];
    size_t                   i, k, size, *cuts, cut[1];
    stream_text_t            t;
    ims_patch_conf_t         conf;
    stream_result_t          r;
    stream_message_t         deep;
    const stream_message_t  *m;

    t.p = malloc(256);
    t.size = 256;
    t.len = 0;

    for (i = 0; i < sizeof(stream_messages) / sizeof(stream_messages[0]);
         i++)
    {
        m = &stream_messages[i];

        ims_patch_conf_init(&conf);

        if (m->max_depth) {
            conf.max_depth = m->max_depth;
        }

        if (m->max_ops) {
            conf.max_ops = m->max_ops;
        }

        size = ims_stream_scratch_size(&conf, m->len);

        /* whole, one byte at a time, and cut at every byte */
        run_stream((const ims_uchar_t *) m->body, m->len, &conf, NULL, 0,
                   size, 0, NO_MASK, 1, &r);
        stream_message_check(m, &conf, &r, "stream message: whole");
        result_free(&r);

        cuts = malloc(m->len * sizeof(size_t));

        for (k = 0; k + 1 < m->len; k++) {
            cuts[k] = k + 1;
        }

        run_stream((const ims_uchar_t *) m->body, m->len, &conf, cuts,
                   m->len - 1, size, 0, NO_MASK, 1, &r);
        stream_message_check(m, &conf, &r, "stream message: 1-byte pieces");
        result_free(&r);

        for (k = 0; k <= m->len; k++) {
            cuts[0] = k;
            run_stream((const ims_uchar_t *) m->body, m->len, &conf, cuts, 1,
                       size, 0, NO_MASK, 1, &r);
            stream_message_check(m, &conf, &r, "stream message: 2 pieces");
            result_free(&r);
        }

        free(cuts);
    }

    /*
     * The gateway's limit just under jansson's: 2047 levels pass, 2048 are
     * "more than 2047 levels"; with a higher limit, jansson's own: a scalar
     * at level 2049 (it counts as a level) or an array opening it, at its
     * byte.
     */
    for (k = 0; k < 4; k++) {
        ims_patch_conf_init(&conf);
        conf.max_depth = (k < 2) ? 2047 : 5000;

        t.len = 0;
        text_add(&t, "[{\"v\":");
        text_repeat(&t, "[", 2045 + (k > 0) + (k == 3));
        text_add(&t, "1");
        text_repeat(&t, "]", 2045 + (k > 0) + (k == 3));
        text_add(&t, "}]");

        size = ims_stream_scratch_size(&conf, t.len);

        snprintf(want, sizeof(want), (k < 2)
                 ? "The body nests more than 2047 levels deep."
                 : "The body is not valid JSON (byte %d: nesting deeper "
                   "than 2048).", 6 + 2046);

        deep.body = t.p;
        deep.len = t.len;
        deep.status = 400;
        deep.detail = want;

        /* k == 0: 2047 levels of arrays and objects, then the scalar */
        if (k == 0) {
            run_stream((ims_uchar_t *) t.p, t.len, &conf, NULL, 0, size, 0,
                       NO_MASK, 1, &r);
            check(r.rc == IMS_STREAM_OK, "stream: 2047 levels deep", "",
                  r.v.detail);
            result_free(&r);
            continue;
        }

        for (i = 0; i <= t.len; i += 511) {
            cut[0] = i;
            run_stream((ims_uchar_t *) t.p, t.len, &conf, cut, 1, size, 0,
                       NO_MASK, 1, &r);
            stream_message_check(&deep, &conf, &r, "stream message: depth");
            result_free(&r);
        }
    }

    free(t.p);
}


/* the contract of the incremental API beyond the differential */

/*
 * A scratch of 8 GB: the reader uses at most 0xffffff00 bytes of it,
 * since its records hold 32-bit offsets (unclamped, its end would be at
 * 7.5 GB: the hash table takes 1/16).  The mapping is reserved,
 * not committed: only the pages the reader touches are ever backed.
 */

static void
stream_huge_scratch(void)
{
    int               rc;
    size_t            size;
    ims_uchar_t      *map;
    ims_stream_t      s;
    ims_verdict_t     v;
    ims_patch_conf_t  conf;
    stream_emitted_t  e;
    static const char  body[] = "[{\"op\":\"add\",\"path\":\"/a\","
                                "\"value\":{\"k1\":1,\"k2\":2,\"k3\":3,"
                                "\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
                                "\"k8\":8,\"k9\":9,\"k9\":0}}]";

    size = (size_t) 0x200000000ULL + 4096;
    map = mmap(NULL, size, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    check(map != MAP_FAILED, "an 8 GB reservation for the scratch", "",
          NULL);

    if (map == MAP_FAILED) {
        return;
    }

    ims_patch_conf_init(&conf);
    memset(&e, 0, sizeof(e));

    rc = ims_stream_init(&s, &conf, stream_collect, &e, map, size);

    check(rc == IMS_STREAM_OK
          && (size_t) (s.end - s.base) <= 0xffffff00
          && s.end > map + 0xe0000000,
          "a scratch over 4 GB: the reader takes the first 0xffffff00 bytes",
          "", NULL);

    /* ten names: the object is hashed, and its repeat found */
    rc = ims_stream_feed(&s, (const ims_uchar_t *) body, sizeof(body) - 1,
                         &v);

    check(rc == IMS_STREAM_REJECT
          && strstr(v.detail, "repeated member name") != NULL,
          "a scratch over 4 GB: a repeat in a hashed object", body, v.detail);

    munmap(map, size);
}


static void
stream_api(void)
{
    int               rc;
    size_t            len;
    ims_uchar_t       scratch[4096], *big;
    ims_stream_t      s;
    ims_verdict_t     v;
    ims_patch_conf_t  conf;
    stream_emitted_t  e;

    ims_patch_conf_init(&conf);
    memset(&e, 0, sizeof(e));

    /* a document error is final at once, and stays final */
    ims_stream_init(&s, &conf, stream_collect, &e, scratch, sizeof(scratch));
    rc = ims_stream_feed(&s, (ims_uchar_t *) "[{\"op\":\"x\"}, 1", 14, &v);
    check(rc == IMS_STREAM_REJECT && v.status == 400
          && v.code == IMS_IMG_0001, "stream: document error at once", "",
          v.detail);
    rc = ims_stream_feed(&s, (ims_uchar_t *) "]", 1, &v);
    check(rc == IMS_STREAM_REJECT && ims_stream_finish(&s, &v) == rc
          && v.status == 400, "stream: document error stays", "", NULL);

    /* an operation verdict waits for the end of the document */
    ims_stream_init(&s, &conf, stream_collect, &e, scratch, sizeof(scratch));
    rc = ims_stream_feed(&s, (ims_uchar_t *) "[{\"op\":\"stop\"}", 14, &v);
    check(rc == IMS_STREAM_OK, "stream: operation verdict is not final",
          "", NULL);
    rc = ims_stream_feed(&s, (ims_uchar_t *) "]", 1, &v);
    check(rc == IMS_STREAM_OK, "stream: operation verdict is still not final",
          "", NULL);
    rc = ims_stream_finish(&s, &v);
    check(rc == IMS_STREAM_REJECT && v.status == 422,
          "stream: operation verdict at finish", "", NULL);

    /* empty pieces, and an early finish */
    ims_stream_init(&s, &conf, stream_collect, &e, scratch, sizeof(scratch));
    rc = ims_stream_feed(&s, (ims_uchar_t *) "", 0, &v);
    rc |= ims_stream_feed(&s, (ims_uchar_t *) "[", 1, &v);
    rc |= ims_stream_feed(&s, (ims_uchar_t *) "", 0, &v);
    check(rc == IMS_STREAM_OK && ims_stream_finish(&s, &v)
          == IMS_STREAM_REJECT && v.code == IMS_IMG_0001,
          "stream: premature end", "[", NULL);

    /* a scratch of any alignment: the frames and buckets are aligned */
    for (len = 0; len < 8; len++) {
        rc = ims_stream_init(&s, &conf, stream_collect, &e, scratch + len,
                             sizeof(scratch) - 8);
        check(rc == IMS_STREAM_OK
              && ((uintptr_t) s.frames & (sizeof(uint32_t) - 1)) == 0
              && ((uintptr_t) s.buckets & (sizeof(uint32_t) - 1)) == 0
              && (ims_uchar_t *) s.frames - (scratch + len) < 8,
              "stream: aligned frames and buckets", "", NULL);
    }

    /* scratch too small for even the frames */
    rc = ims_stream_init(&s, &conf, stream_collect, &e, scratch, 16);
    check(rc == IMS_STREAM_NOMEM, "stream: init refuses a tiny scratch", "",
          NULL);
    rc = ims_stream_feed(&s, (ims_uchar_t *) "[]", 2, &v);
    check(rc == IMS_STREAM_NOMEM && v.status == 500
          && ims_stream_finish(&s, &v) == IMS_STREAM_NOMEM,
          "stream: tiny scratch reported", "", v.detail);

    rc = ims_stream_init(&s, &conf, stream_collect, &e, NULL, 0);
    check(rc == IMS_STREAM_NOMEM, "stream: no scratch", "", NULL);

    rc = ims_read_patch_stream_scratch((ims_uchar_t *) "[]", 2, &conf,
                                       stream_collect, &e, scratch, 16, &v);
    check(rc == -1 && v.status == 500, "stream: one call, tiny scratch", "",
          v.detail);

    /* the stack convenience refuses what it cannot hold */
    big = malloc(IMS_STREAM_STACK_MAX);
    memset(big, ' ', IMS_STREAM_STACK_MAX);
    big[0] = '[';
    big[1] = ']';
    rc = ims_read_patch_stream(big, IMS_STREAM_STACK_MAX, &conf,
                               stream_collect, &e, &v);
    check(rc == -1 && v.status == 500, "stream: stack limit", "", NULL);
    rc = ims_read_patch_stream_scratch(big, IMS_STREAM_STACK_MAX, &conf,
                                       stream_collect, &e, scratch,
                                       sizeof(scratch), &v);
    check(rc == 0, "stream: a big body needs no big scratch to pass", "",
          NULL);

    /* the largest body whose scratch the stack takes, and one byte more */
    for (len = 1024; ims_stream_scratch_size(&conf, len + 1)
                     <= IMS_STREAM_STACK_MAX; len++)
    {
        /* void */
    }

    rc = ims_read_patch_stream(big, len, &conf, stream_collect, &e, &v);
    check(rc == 0 && v.status == 0, "stream: scratch of the stack limit",
          "", v.detail);
    rc = ims_read_patch_stream(big, len + 1, &conf, stream_collect, &e, &v);
    check(rc == -1 && v.status == 500 && v.code == IMS_OK,
          "stream: scratch past the stack limit", "", v.detail);
    free(big);

    free(e.buf);
}


void
test_stream(void)
{
    size_t                i;
    ims_patch_conf_t      conf;
    const stream_body_t  *b;

    ims_patch_conf_init(&conf);

    for (i = 0; i < sizeof(stream_corpus) / sizeof(stream_corpus[0]); i++) {
        b = &stream_corpus[i];
        stream_differential((const ims_uchar_t *) b->body, b->len, &conf, 1);

        if (i % 5 == 0 && b->len > 0) {
            stream_small_scratch((const ims_uchar_t *) b->body, b->len,
                                 &conf, 1);
        }
    }

    stream_generated();
    stream_perturbed();
    stream_utf8();
    stream_string_bytes();
    stream_long_names();
    stream_hash_spread();
    stream_siphash();
    stream_in_place();
    stream_tight();
    stream_anchored();
    stream_messages_test();
    stream_huge_scratch();
    stream_api();
}
