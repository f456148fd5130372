#!/usr/bin/python3
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

"""Differential run of the gateway's body gate against Glance's own parser.

Each generated PATCH body is judged twice, in this process:

  the gateway   build/libims-judge.so (tools/ims_judge.c): the streaming
                reader fed in pieces as nginx feeds it, and the reference
                reader, each with the default configuration; the verdict,
                and for a pass every operation as the rules judged it (op,
                decoded attribute name, value kind and bytes);
  Glance        glance.api.v2.images.RequestDeserializer().update() on a
                webob PATCH request with the dialect's Content-Type: the
                changes it would execute, or the exception it raises.

A run FAILS (the patch, the fewest of its operations that still fail and
both sides are printed, the exit status is 1) when the gateway accepts a
patch and

  - Glance's changes differ from the operations the gateway judged: count,
    op, attribute name after Glance's decoding and stripping, or value;
  - or a change touches an attribute the rules forbid: a name of the
    catalog (the library's ims_system_attribute_name(), src/ims_attrs.c
    and docs/rules.md, all three) or one starting with os_glance;

and, on any patch, when the two readers disagree or the recording run
disagrees with the gateway's verdict (a fault of the core or of this
harness).

Patches the gateway rejects are fine, whatever Glance does; they, and the
accepted patches Glance refuses, are counted by generator class.

Patches are built structurally and are deterministic: patch i of seed s is
always the same body (--index i shows one).  Needs Debian's python3-glance
(run with /usr/bin/python3).

    tools/glance_diff.py [--lib build/libims-judge.so] [--count N]
        [--seed S] [--start I] [--time-limit SECONDS]
    tools/glance_diff.py --index I ...      one generated patch, shown
    tools/glance_diff.py --body TEXT [--dialect 2.0|2.1]
    tools/glance_diff.py --replay tools/glance-diff-findings
    tools/glance_diff.py --self-test forbid=NAME | skew-glance ...
                                            (must fail: checks the checker)
"""

import argparse
import base64
import collections
import ctypes
import json
import os
import random
import re
import sys
import time


CONTENT_TYPES = {
    20: 'application/openstack-images-v2.0-json-patch',
    21: 'application/openstack-images-v2.1-json-patch',
}
SCHEMA_VERSION = {20: 4, 21: 10}
IMAGE_ID = 'e2a0a2f4-5d43-4c8c-9a9a-6d8c7c2b1f10'
RESERVED_PREFIX = 'os_glance'
READERS = {'stream': 0, 'jansson': 1}
MISSING = object()


# --------------------------------------------------------------------------
# the gateway

class Core:
    """The validation core through tools/ims_judge.c."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(os.path.abspath(path))
        f = self.lib.ims_judge
        f.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                      ctypes.c_size_t, ctypes.c_size_t, ctypes.c_char_p,
                      ctypes.c_size_t]
        f.restype = ctypes.c_ssize_t
        self.judge_fn = f
        self.size = 1 << 16
        self.buf = ctypes.create_string_buffer(self.size)

        n = self.lib.ims_system_attribute_count
        n.argtypes = []
        n.restype = ctypes.c_size_t
        name = self.lib.ims_system_attribute_name
        name.argtypes = [ctypes.c_size_t]
        name.restype = ctypes.c_char_p
        self.system = [name(i).decode('ascii') for i in range(n())]

    def judge(self, dialect, reader, body, chunk):
        while True:
            n = self.judge_fn(dialect, READERS[reader], body, len(body),
                              chunk, self.buf, self.size)
            if n == -1:
                self.size *= 4
                self.buf = ctypes.create_string_buffer(self.size)
                continue
            if n < 0:
                raise RuntimeError('ims_judge() returned %d' % n)
            r = json.loads(self.buf.raw[:n].decode('ascii'))
            # the detail's bytes were escaped one by one
            r['detail'] = r['detail'].encode('latin-1').decode('utf-8',
                                                               'replace')
            return r


def catalog_from_source(path):
    """The catalog as src/ims_attrs.c spells it, to check the library."""
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError:
        return None
    m = re.search(r'ims_system_attributes\[\]\s*=\s*\{(.*?)\n\};', text,
                  re.S)
    return re.findall(r'ims_attr\("([^"]*)"\)', m.group(1)) if m else None


def catalog_from_rules(path):
    """The catalog as docs/rules.md lists it ("Attributes")."""
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError:
        return None
    m = re.search(r'system-attribute catalog holds.*?```\n(.*?)```', text,
                  re.S)
    return m.group(1).split() if m else None


# --------------------------------------------------------------------------
# Glance

class Glance:
    """RequestDeserializer.update() of the installed Glance, in process."""

    def __init__(self, exact_schema=False):
        import jsonschema
        import webob
        import webob.exc
        import glance.api.v2.images as images
        from glance.common import exception

        self.webob = webob
        self.http_error = webob.exc.HTTPException
        schema = images.get_schema()

        if not exact_schema:
            # Glance's Schema.validate() calls jsonschema.validate(), which
            # checks the meta-schema and builds a validator on every call
            # (about 7 ms).  The same steps, the constant ones done once.
            raw = schema.raw()
            cls = jsonschema.validators.validator_for(raw)
            cls.check_schema(raw)
            validator = cls(raw)
            best_match = jsonschema.exceptions.best_match

            def validate(obj):
                error = best_match(validator.iter_errors(obj))
                if error is not None:
                    raise exception.InvalidObject(schema=schema.name,
                                                  reason=str(error))

            schema.validate = validate

        self.deserializer = images.RequestDeserializer(schema)

    def parse(self, dialect, body):
        """('ok', changes) or ('refused', a short reason)."""
        req = self.webob.Request.blank(
            '/v2/images/' + IMAGE_ID, method='PATCH', body=body,
            headers={'Content-Type': CONTENT_TYPES[dialect]})
        try:
            return 'ok', self.deserializer.update(req)['changes']
        except self.http_error as e:
            text = getattr(e, 'explanation', '') or e.title
            return 'refused', '%d %s' % (e.code, text)
        except Exception as e:      # what Glance would turn into a 500
            return 'refused', '%s: %s' % (type(e).__name__, e)


def detail_class(code, detail):
    """A gateway rejection without the client's text, for counting."""
    d = re.sub(r"'(?:[^'\\]|\\.)*'", "'_'", detail)
    d = re.sub(r'\d+', 'N', d)
    return code + ' ' + d[:90]


def reason_class(reason):
    """A refusal's reason without the client's text, for counting."""
    first = reason.split('\n', 1)[0]
    first = re.sub(r"'(?:[^'\\]|\\.)*'|`[^`]*`|\"[^\"]*\"", '_', first)
    first = re.sub(r'\d+', 'N', first[4:] if first[:3].isdigit() else first)
    return (reason[:3] if reason[:3].isdigit() else 'exc') + ' ' + first[:70]


# --------------------------------------------------------------------------
# JSON text with the spellings a generator wants

class Raw:
    """JSON text used as it is (numbers, literals, broken text)."""
    __slots__ = ('text',)

    def __init__(self, text):
        self.text = text


class Obj:
    """An object with members in order, repeats allowed; keys are str."""
    __slots__ = ('members',)

    def __init__(self, members):
        self.members = members


class Spelled:
    """A string spelled with a given escape policy."""
    __slots__ = ('s', 'mode')

    def __init__(self, s, mode):
        self.s = s
        self.mode = mode


SHORT_ESCAPES = {'"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f',
                 '\n': '\\n', '\r': '\\r', '\t': '\\t', '/': '\\/'}


class Writer:
    """Serializes a value; the escape policy and whitespace come from rng.

    String modes: plain (only what JSON needs), ascii (every non-ASCII
    character escaped), some (characters escaped at random), all (every
    character as \\uXXXX), broken (raw control characters or unpaired
    surrogates as CESU-8 bytes: invalid JSON).  The text is encoded with
    surrogateescape: U+DC80-U+DCFF stand for raw bytes.
    """

    def __init__(self, rng, mode_weights=None, ws_rate=0.15, bad_ws=0.0):
        self.rng = rng
        self.modes, self.weights = zip(*(mode_weights or
                                         [('plain', 70), ('ascii', 12),
                                          ('some', 14), ('all', 4)]))
        self.ws_rate = ws_rate
        self.bad_ws = bad_ws

    def ws(self):
        rng = self.rng
        if rng.random() >= self.ws_rate:
            return ''
        if self.bad_ws and rng.random() < self.bad_ws:
            return rng.choice(['\u00a0', '\f', '\v', '\u2028', '\u3000',
                               '\ufeff', '\x00', '\u200b', '\u0085'])
        return ''.join(rng.choice(' \t\r\n')
                       for _ in range(rng.randint(1, 3)))

    def mode(self):
        return self.rng.choices(self.modes, self.weights)[0]

    def string(self, s, mode=None):
        mode = mode or self.mode()
        if mode == 'plain' and not has_surrogate(s):
            return json.dumps(s, ensure_ascii=False)
        if mode == 'ascii':
            return json.dumps(s)
        return self.careful(s, mode)

    def careful(self, s, mode):
        rng = self.rng
        upper = rng.random() < 0.3
        fmt = '\\u%04X' if upper else '\\u%04x'
        p = 0.5 if mode == 'some' else 1.0 if mode == 'all' else 0.0
        out = ['"']
        for ch in s:
            o = ord(ch)
            if mode == 'broken' and (o < 0x20 or 0xd800 <= o <= 0xdfff) \
                    and rng.random() < 0.5:
                out.append(ch if o < 0x20 else
                           ch.encode('utf-8', 'surrogatepass')
                           .decode('utf-8', 'surrogateescape'))
            elif o > 0xffff:
                if p and rng.random() < p:
                    o -= 0x10000
                    out.append(fmt % (0xd800 + (o >> 10)))
                    out.append(fmt % (0xdc00 + (o & 0x3ff)))
                else:
                    out.append(ch)
            elif (p and rng.random() < p) or o < 0x20 or ch in '"\\' \
                    or 0xd800 <= o <= 0xdfff:
                if ch in SHORT_ESCAPES and rng.random() < 0.5:
                    out.append(SHORT_ESCAPES[ch])
                else:
                    out.append(fmt % o)
            else:
                out.append(ch)
        out.append('"')
        return ''.join(out)

    def value(self, v):
        if v is None:
            return 'null'
        if v is True:
            return 'true'
        if v is False:
            return 'false'
        if isinstance(v, str):
            return self.string(v)
        if isinstance(v, Spelled):
            return self.string(v.s, v.mode)
        if isinstance(v, Raw):
            return v.text
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return repr(v)
        if isinstance(v, (list, tuple)):
            ws = self.ws
            return '[' + ws() + (ws() + ',' + ws()).join(
                self.value(x) for x in v) + ws() + ']'
        if isinstance(v, dict):
            v = Obj(list(v.items()))
        if isinstance(v, Obj):
            ws = self.ws
            parts = []
            for k, x in v.members:
                key = self.string(k.s, k.mode) if isinstance(k, Spelled) \
                    else self.string(k)
                parts.append(key + ws() + ':' + ws() + self.value(x))
            return '{' + ws() + (ws() + ',' + ws()).join(parts) + ws() + '}'
        raise TypeError(type(v))


def has_surrogate(s):
    return any(0xd800 <= ord(c) <= 0xdfff for c in s)


def encode(text):
    return text.encode('utf-8', 'surrogateescape')


# --------------------------------------------------------------------------
# what the generator draws from

# Unicode White_Space, Cc and Cf characters that matter to paths: Glance
# strips str.isspace() characters from each token
SPACES = ['\t', '\n', '\v', '\f', '\r', ' ', '\x1c', '\x1d', '\x1e', '\x1f',
          '\x85', '\xa0', '\u1680'] + [chr(c) for c in range(0x2000, 0x200b)] \
    + ['\u2028', '\u2029', '\u202f', '\u205f', '\u3000']
FORMATS = ['\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2060',
           '\ufeff', '\u00ad', '\u180e', '\u061c', '\u202a', '\u202e',
           '\u2066', '\ufff9', '\x00', '\x01', '\x7f', '\x9f']
AROUND = SPACES + FORMATS

EDITABLE = ['name', '__description']
CUSTOM = [
    'foo', 'hw_disk_bus', 'os_distro', 'os_type', 'os_version',
    'custom_1', 'architecture', 'kernel_id', 'ramdisk_id', 'instance_uuid',
    'hw_qemu_guest_agent', 'description', 'Name', 'NAME', 'Name_',
    '__Description', '__description_', '_description', '__os_bitx',
    '_os_bit', '__OS_BIT', '__os_bi', 'os_glanc', 'OS_GLANCE_x',
    'os-glance', 'Os_glance', 'os_Glance', 'xos_glance', 'tags_', 'tag',
    'locations2', 'locatio', 'ids', 'ID', 'Id', '0', '-', 'x.y', 'a:b', 'a=b',
    'a"b', 'a\\b', 'a b', 'a/b', 'a~b', '~', '/', '~0', '~1', 'a\u00a0b',
    'caf\u00e9', '\u4e2d\u6587', '\u540d\u5b57', 'x' * 255, 'x' * 256,
    '\u00e9' * 255, '\u4e2d' * 255, '\u4e2d' * 256, '\u00e9' * 256,
    'name\u3000x', '__os\u00a0bit', 'status ', ' status',
]
OS_GLANCE = ['os_glance', 'os_glance_x', 'os_glance_import_task',
             'os_glance_importing_to_stores', 'os_glance_failed_import',
             'os_glance_stage_host', 'os_glancefoo', 'os_glance/x',
             'os_glance~x']
OPS = ['add', 'replace', 'remove']
BAD_OPS = ['Add', 'REPLACE', 'Remove', 'move', 'copy', 'test', ' add',
           'add ', 'add\x00', 'ad', 'addd', '', 'replace\u200b', '\uff41dd']
V20_KEYS = OPS

NUMBERS = [
    '0', '-0', '1', '-1', '1.5', '-1.5e-3', '1e10', '1E+2', '1e-7', '0.0',
    '123456789012345678901234567890', '1e308', '-1e308',
    '1.7976931348623157e308', '1.7976931348623158e308',
    '1.7976931348623159e308', '179769313486231570' + '0' * 291,
    '179769313486231581' + '0' * 291, '1' + '0' * 309, '1e309', '-1e309',
    '4.9e-324', '2e-324', '1e-400', '0e99999', '0.0e-99999999999999999999',
    '0.' + '0' * 400 + '1', '1' + '0' * 320 + 'e-20', '1' + '0' * 4400 +
    'e-4400', '100000000000000000000e290', '9007199254740993',
    '-9223372036854775809', '18446744073709551616',
    # not JSON
    'NaN', 'Infinity', '-Infinity', '01', '1.', '.5', '+1', '0x10', '1e',
    '-', '1e+', '--1', '1.5.5', '0e', '1_000',
]

CJK_EDGES = ['\u4dff', '\u4e00', '\u4e01', '\u9ffe', '\u9fff', '\ua000']
NAME_BAD_CHARS = ['/', '<', '>', '&', '\'', '"', '\\', ',', ':', '@', '+',
                  '\u00e9', '\u3000', '\u00a0', '\t', '\n', '\x00', '\x7f',
                  '\u200b', '\ufeff', '\U0001f600', '\ud800', '\udc00',
                  '\u4dff', '\ua000', '\uff21', '\u0660']
DESC_CHARS = ('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
              ' .,;:!?-_/\\"\'&()[]{}@#$%^*+=|`~\t')
TEXT_POOLS = [
    'abc xyz', DESC_CHARS, 'ab\u4e2d\u6587\u00e9', ''.join(AROUND) + 'ab',
    'a\x00\x01\x1f"\\/\u2028', 'ab\U0001f600\u4e2d', 'a\ud800b\udc00',
]
VALID_POOLS = TEXT_POOLS[:5]
DESC_BAD = ['\r', '\n', '<', '>', '\u003c', '\U0001f600', '\ud83d',
            '\udc00']
DESC_OK_ODD = ['\x00', '\x01', '\x1f', '\x7f', '\x85', '\u2028', '\u2029',
               '\ufeff', '\u200b', '\ufffd', '\uffff', '\u00e9', '\u4e2d',
               '\uff1c', '\u2039', '\u3008']


class Gen:
    """Patch i of a seed: a class, a dialect and a body, always the same."""

    CLASSES = [
        ('plain', 10), ('escaped-members', 8), ('duplicates', 8),
        ('other-dialect', 8), ('unicode-path', 10), ('tilde', 5),
        ('system', 10), ('name-rule', 8), ('description-rule', 8),
        ('value-kinds', 7), ('nested', 4), ('multi-op', 6), ('document', 3),
        ('mutate', 4), ('long', 1),
    ]

    def __init__(self, seed, system):
        self.seed = seed
        self.system = system
        self.names, self.weights = zip(*self.CLASSES)
        # the first patches of every run: each attribute the rules name,
        # with each operation, in each dialect, spelled plainly and escaped,
        self.sweep = [(name, kind, dialect, mode)
                      for name in system + OS_GLANCE + EDITABLE
                      for kind in OPS for dialect in (20, 21)
                      for mode in ('plain', 'all')]
        # and each whitespace or format character at either end of one
        self.sweep += [(name, 'replace', dialect, 'plain')
                       for c in AROUND
                       for name in (c + '__os_bit', '__os_bit' + c,
                                    c + 'os_glance_x', 'name' + c)
                       for dialect in (20, 21)]

    def patch(self, i):
        rng = random.Random(self.seed * 0x100000001 + i)
        self.rng = rng
        w = Writer(rng)
        if i < len(self.sweep):
            name, kind, dialect, mode = self.sweep[i]
            op = self.op(dialect, kind, Spelled(self.pointer(name), mode),
                         MISSING if kind == 'remove' else
                         'Ubuntu 22.04' if name == 'name' else 'x')
            if mode == 'all':
                op.members = [(Spelled(k, mode), v) for k, v in op.members]
            texts = [encode(w.value(op))]
            return 'sweep', dialect, assemble(w, texts), (w, texts)
        cls = rng.choices(self.names, self.weights)[0]
        dialect = rng.choice((20, 21))
        builder = getattr(self, 'c_' + cls.replace('-', '_'))
        ops = builder(w, dialect)
        if isinstance(ops, bytes):
            return cls, dialect, ops, None
        texts = [encode(w.value(op)) if not isinstance(op, bytes) else op
                 for op in ops]
        return cls, dialect, assemble(w, texts), (w, texts)

    # ------------------------------------------------------------ pieces

    def op(self, dialect, kind, path, value=MISSING, extra=(), shuffle=True):
        """One operation object: the dialect's members, then extra ones."""
        if dialect == 21:
            members = [('op', kind), ('path', path)]
        else:
            members = [(kind, path)]
        if value is not MISSING:
            members.append(('value', value))
        members.extend(extra)
        if shuffle and self.rng.random() < 0.5:
            self.rng.shuffle(members)
        return Obj(members)

    def pointer(self, name, sloppy=0.0):
        """The JSON pointer of a name: ~ and / escaped (or not, sloppily)."""
        rng = self.rng
        if sloppy and rng.random() < sloppy:
            p = rng.choice([
                lambda n: '/' + n,                       # raw / and ~
                lambda n: '/' + n.replace('~', '~2'),
                lambda n: '/' + n + '~',
                lambda n: '//' + n,
                lambda n: '/' + n + '/',
                lambda n: '/' + n + '/x',
                lambda n: '/' + n + '/-',
                lambda n: '/' + n + '/0',
                lambda n: n,
                lambda n: '',
                lambda n: '/',
                lambda n: '/ /' + n,
                lambda n: '/' + rng.choice(SPACES) + '/' + n,
                lambda n: '/~1' + n,
                lambda n: '/' + n + '~1',
                lambda n: '/' + n.replace('_', '~0'),
            ])
            return p(name)
        return '/' + name.replace('~', '~0').replace('/', '~1')

    def attr(self):
        """Any attribute name, the catalog's included."""
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return rng.choice(EDITABLE)
        if r < 0.55:
            return rng.choice(CUSTOM)
        if r < 0.75:
            return rng.choice(self.system)
        if r < 0.8:
            return rng.choice(OS_GLANCE)
        if r < 0.9:
            return self.near_miss(rng.choice(self.system + EDITABLE))
        return self.random_name()

    def random_name(self):
        rng = self.rng
        alphabet = rng.choice([
            'abcdefghijklmnopqrstuvwxyz_', 'abcxyz_-.0123456789',
            'aB_~/ .', 'a\u00e9\u4e2d\u00a0_', 'ab~01/',
        ])
        return ''.join(rng.choice(alphabet)
                       for _ in range(rng.randint(1, 20)))

    def near_miss(self, name):
        rng = self.rng
        k = rng.randrange(len(name))
        how = rng.randrange(8)
        if how == 0:
            return name[:k] + name[k].swapcase() + name[k + 1:]
        if how == 1:
            return name[:k] + name[k + 1:] or name + name
        if how == 2:
            return name + rng.choice('_x0 ')
        if how == 3:
            return rng.choice('_x ') + name
        if how == 4:
            return name[:k] + rng.choice(AROUND) + name[k:]
        if how == 5:
            return name.upper()
        if how == 6:
            return name[:k] + '\u0131' + name[k + 1:]     # dotless i
        return name + rng.choice(FORMATS)

    def decorate(self, name):
        """Whitespace and format characters in and around a name."""
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            # one character at an end: what Glance's strip() would remove
            c = rng.choice(SPACES)
            return rng.choice([c + name, name + c, c + name + c])
        if r < 0.65 and len(name) > 1:
            k = rng.randrange(len(name) + 1)
            return name[:k] + rng.choice(FORMATS) + name[k:]
        chars = ''.join(rng.choice(AROUND) for _ in range(rng.randint(1, 3)))
        where = rng.randrange(7)
        if where >= 5 and len(name) > 1:
            k = rng.randrange(1, len(name))
            return name[:k] + rng.choice(SPACES) + name[k:]
        if where == 0:
            return chars + name
        if where == 1:
            return name + chars
        if where == 2:
            return chars + name + rng.choice(AROUND)
        if where == 3 and len(name) > 1:
            k = rng.randrange(1, len(name))
            return name[:k] + chars + name[k:]
        return chars

    def any_kind(self, depth=0):
        """A value of any JSON kind."""
        rng = self.rng
        r = rng.randrange(10 if depth < 4 else 7)
        if r == 0:
            return None
        if r == 1:
            return rng.choice((True, False))
        if r in (2, 3):
            return Raw(rng.choice(NUMBERS) if rng.random() < 0.6 else
                       repr(rng.uniform(-1e6, 1e6)) if rng.random() < 0.5
                       else str(rng.randint(-2 ** 70, 2 ** 70)))
        if r in (4, 5, 6):
            return self.text()
        if r in (7, 8):
            return [self.any_kind(depth + 1)
                    for _ in range(rng.randint(0, 3))]
        return Obj([(self.key(), self.any_kind(depth + 1))
                    for _ in range(rng.randint(0, 3))])

    def key(self):
        rng = self.rng
        return rng.choice(['a', 'b', 'value', 'op', 'path', 'add', 'remove',
                           'replace', '', 'x y', '\u00e9', 'name',
                           '__os_bit'])

    def text(self, lo=0, hi=12, pools=None):
        """A short string of mixed characters."""
        rng = self.rng
        pool = rng.choice(pools or TEXT_POOLS)
        return ''.join(rng.choice(pool) for _ in range(rng.randint(lo, hi)))

    def string_value(self):
        """What a custom attribute gets: mostly a string, not always."""
        rng = self.rng
        if rng.random() < 0.8:
            return self.text()
        return self.any_kind()

    def value_for(self, name, kind, valid=False):
        """A value for an operation; valid: one the rules mostly accept."""
        rng = self.rng
        if kind == 'remove':
            r = rng.random()
            return MISSING if r < 0.6 else self.any_kind()
        if valid:
            if name == 'name':
                return ''.join(rng.choice('abcXYZ019-._ \u4e2d\u9fff')
                               for _ in range(rng.randint(1, 20))).strip() \
                    or 'x'
            return self.text(pools=VALID_POOLS)
        if rng.random() < 0.05:
            return MISSING
        if name == 'name':
            return self.name_value()
        if name == '__description':
            return self.description_value()
        return self.string_value()

    def name_value(self):
        rng = self.rng
        r = rng.random()
        if r < 0.08:
            return rng.choice([None, '', 0, True, [], {}, ['x'],
                               Raw('1e400'), Raw('"\\u0000"')])
        n = rng.choice([1, 2, 3, 64, 127, 128, 128, 129, 130, 255, 256,
                        rng.randint(1, 140)])
        alphabet = rng.choice([
            'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
            'az-._ 09AZ', ''.join(chr(c) for c in range(0x4e00, 0x4e40)),
            'ab' + ''.join(CJK_EDGES[1:5]), 'x\u9fff\u4e00 _',
        ])
        s = [rng.choice(alphabet) for _ in range(n)]
        if rng.random() < 0.3:
            k = rng.randrange(n)
            s[k] = rng.choice(NAME_BAD_CHARS + CJK_EDGES)
        if rng.random() < 0.1:
            s[0 if rng.random() < 0.5 else -1] = ' '
        return ''.join(s)

    def description_value(self):
        rng = self.rng
        r = rng.random()
        if r < 0.07:
            return rng.choice([None, 0, True, [], {}, ['x'], Raw('-0')])
        n = rng.choice([0, 1, 2, 1023, 1024, 1024, 1025, 1026,
                        rng.randint(0, 40), rng.randint(0, 1100)])
        cjk = rng.random() < 0.4
        pool = DESC_CHARS + ('\u4e2d\u6587\u540d' * 8 if cjk else '')
        s = [rng.choice(pool) for _ in range(n)]
        if n and rng.random() < 0.5:
            for _ in range(rng.randint(1, 3)):
                s[rng.randrange(n)] = rng.choice(DESC_OK_ODD)
        if n and rng.random() < 0.25:
            s[rng.randrange(n)] = rng.choice(DESC_BAD)
        return ''.join(s)

    def some_op(self, dialect, valid=False):
        """A plausible operation on any attribute."""
        rng = self.rng
        kind = rng.choice(OPS)
        name = self.attr()
        op = self.op(dialect, kind, self.pointer(name, 0.05),
                     self.value_for(name, kind, valid))
        if not valid and rng.random() < 0.04:
            k = 0 if dialect == 21 else None
            for j, (key, _) in enumerate(op.members):
                if key in ('op', kind):
                    k = j
            bad = rng.choice(BAD_OPS + [None, 1, ['add'], {'op': 'add'}])
            key, val = op.members[k]
            op.members[k] = (key, bad) if dialect == 21 else \
                ((bad if isinstance(bad, str) else 'move'), val)
        return op

    # ------------------------------------------------------------ classes

    def c_plain(self, w, dialect):
        rng = self.rng
        ops = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(OPS)
            name = rng.choice(EDITABLE + CUSTOM[:12])
            ops.append(self.op(dialect, kind, self.pointer(name),
                               self.value_for(name, kind,
                                              rng.random() < 0.5)))
        return ops

    def c_escaped_members(self, w, dialect):
        """Member names and values spelled with escapes: "\\u006fp"."""
        rng = self.rng
        w.modes, w.weights = ('some', 'all', 'ascii', 'plain'), (5, 3, 1, 1)
        ops = []
        for _ in range(rng.randint(1, 3)):
            op = self.some_op(dialect, rng.random() < 0.6)
            op.members = [(Spelled(k, rng.choice(['some', 'all'])), v)
                          if rng.random() < 0.7 else (k, v)
                          for k, v in op.members]
            ops.append(op)
        return ops

    def c_duplicates(self, w, dialect):
        """A member twice, spelled the same or not; in nested objects too."""
        rng = self.rng
        ops = [self.some_op(dialect) for _ in range(rng.randint(0, 2))]
        kind = rng.choice(OPS)
        name = rng.choice(EDITABLE + CUSTOM[:6])
        op = self.op(dialect, kind, self.pointer(name),
                     self.value_for(name, kind) if kind != 'remove'
                     else self.text(), shuffle=False)
        where = rng.randrange(4)
        if where < 3:
            key = rng.choice(['op', 'path', 'value'] if dialect == 21 and
                             where < 2 else V20_KEYS + ['value', 'op',
                                                        'path'])
            second = rng.choice([
                self.pointer(rng.choice(self.system)),
                self.pointer(rng.choice(OS_GLANCE)), rng.choice(OPS),
                self.text(), None, self.pointer(name),
            ])
            mode = rng.choice(['plain', 'some', 'all', 'ascii'])
            dup = (Spelled(key, mode), second)
            pos = rng.randrange(len(op.members) + 1)
            op.members.insert(pos, dup)
        else:
            inner = Obj([('a', 1), (Spelled('a', 'all'), 2)])
            op.members.append(('value', [inner]) if kind == 'remove' else
                              ('x', inner))
        ops.insert(rng.randrange(len(ops) + 1), op)
        return ops

    def c_other_dialect(self, w, dialect):
        """The other dialect's members, aimed at system attributes."""
        rng = self.rng
        ops = []
        for _ in range(rng.randint(1, 2)):
            kind = rng.choice(OPS)
            name = rng.choice(EDITABLE + CUSTOM[:6])
            target = self.pointer(rng.choice(self.system + OS_GLANCE))
            if dialect == 21:
                extra = [(k, target) for k in rng.sample(V20_KEYS,
                                                         rng.randint(1, 3))]
            else:
                extra = [('op', rng.choice(OPS + BAD_OPS[:3])),
                         ('path', target)][:rng.randint(1, 2)]
                if rng.random() < 0.2:
                    extra.append((rng.choice([k for k in V20_KEYS
                                              if k != kind]), target))
            ops.append(self.op(dialect, kind, self.pointer(name),
                               self.value_for(name, kind), extra))
        return ops

    def c_unicode_path(self, w, dialect):
        """Whitespace and format characters in and around names."""
        rng = self.rng
        ops = []
        for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 3)):
            kind = rng.choice(OPS)
            base = rng.choice(self.system + EDITABLE + OS_GLANCE +
                              CUSTOM[:4])
            name = self.decorate(base)
            path = self.pointer(name)
            if rng.random() < 0.15:
                path = self.decorate(path)      # before the "/" as well
            ops.append(self.op(dialect, kind, path,
                               self.value_for(base, kind,
                                              rng.random() < 0.7)))
        return ops

    def c_tilde(self, w, dialect):
        """~0 and ~1, proper and not."""
        rng = self.rng
        ops = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(OPS)
            base = rng.choice(['a~b', 'a/b', '~', '/', '~0', '~1', '~01',
                               '/~', 'x~1y', 'os_glance~1', '__os_bit',
                               'name', rng.choice(self.system)])
            r = rng.random()
            if r < 0.5:
                path = self.pointer(base)
            elif r < 0.8:
                path = self.pointer(base, sloppy=1.0)
            else:
                path = '/' + rng.choice(['~01', '~10', '~0~1', '~1~0',
                                         '~00', '~11', '~~', '~2', '~',
                                         '~a', 'n~0ame', '~1name',
                                         'name~1', '__os~1bit',
                                         '~0__os_bit'])
            ops.append(self.op(dialect, kind, path,
                               self.value_for(base, kind,
                                              rng.random() < 0.7)))
        return ops

    def c_system(self, w, dialect):
        """Every catalog name with every operation, escaped, near misses."""
        rng = self.rng
        ops = []
        for _ in range(rng.randint(1, 2)):
            kind = rng.choice(OPS)
            r = rng.random()
            if r < 0.55:
                name = rng.choice(self.system)
            elif r < 0.7:
                name = rng.choice(OS_GLANCE)
            else:
                name = self.near_miss(rng.choice(self.system + OS_GLANCE))
            path = self.pointer(name)
            if rng.random() < 0.5:
                path = Spelled(path, rng.choice(['some', 'all', 'ascii']))
            value = rng.choice([self.text(1), self.any_kind(),
                                MISSING if kind == 'remove' else 'x'])
            ops.append(self.op(dialect, kind, path, value))
        if rng.random() < 0.3:
            ops.insert(0, self.op(dialect, 'replace', '/name', 'ok'))
        return ops

    def rule_of(self, dialect, attr, value_of):
        """An operation on an attribute with a rule of its own."""
        rng = self.rng
        kind = rng.choice(['add', 'replace', 'replace', 'remove'])
        ops = [self.op(dialect, kind, self.pointer(attr),
                       value_of() if kind != 'remove' or
                       rng.random() < 0.3 else MISSING)]
        if rng.random() < 0.2:
            ops.append(self.some_op(dialect))
        return ops

    def c_name_rule(self, w, dialect):
        return self.rule_of(dialect, 'name', self.name_value)

    def c_description_rule(self, w, dialect):
        return self.rule_of(dialect, '__description', self.description_value)

    def c_value_kinds(self, w, dialect):
        """Values of every kind, numbers of every shape."""
        rng = self.rng
        ops = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(OPS)
            name = rng.choice(EDITABLE + CUSTOM[:8])
            value = self.any_kind() if rng.random() < 0.7 else \
                Raw(rng.choice(NUMBERS))
            ops.append(self.op(dialect, kind, self.pointer(name), value))
        return ops

    def c_nested(self, w, dialect):
        """Nesting around the depth limit (the array is level 1)."""
        rng = self.rng
        depth = rng.randint(27, 35)
        v = rng.choice(['x', 1, None, [], {}])
        for level in range(depth - 2):      # the array, the object
            v = [v] if rng.random() < 0.5 else Obj([(self.key(), v)])
        kind = rng.choice(OPS)
        name = rng.choice(CUSTOM[:6] + EDITABLE)
        extra = [] if kind == 'remove' else [('deep', v)]
        value = v if kind == 'remove' else self.value_for(name, kind)
        return [self.op(dialect, kind, self.pointer(name), value, extra)]

    def c_multi_op(self, w, dialect):
        rng = self.rng
        n = rng.choice([2, 3, 5, 10, 30, rng.randint(2, 60)])
        ops = []
        for _ in range(n):
            r = rng.random()
            if r < 0.9:
                kind = rng.choice(OPS[:2] * 3 + OPS)
                name = rng.choice(EDITABLE + CUSTOM[:10])
                ops.append(self.op(dialect, kind, self.pointer(name),
                                   self.value_for(name, kind, valid=True)))
            else:
                ops.append(self.some_op(dialect))
        return ops

    def c_document(self, w, dialect):
        """The document around the operations."""
        rng = self.rng
        op = encode(w.value(self.some_op(dialect)))
        choice = rng.randrange(18)
        if choice == 0:
            return b''
        if choice == 1:
            return rng.choice([b' ', b'\t\r\n ', b'\n'])
        if choice == 2:
            return b'[]'
        if choice == 3:
            return op
        if choice == 4:
            return b'[' + op + b',]'
        if choice == 5:
            return b'\xef\xbb\xbf[' + op + b']'
        if choice == 6:
            return b'[' + op + b']' + rng.choice([b'x', b'[]', b'0', b'}'])
        if choice == 7:
            return b'[' + op + b'] /* c */'
        if choice == 8:
            return b'[[' + op + b']]'
        if choice == 9:
            return b'[' + op + b',' + rng.choice([b'1', b'"x"', b'null',
                                                  b'[]', b'true']) + b']'
        if choice == 10:
            return b'{"patch":[' + op + b']}'
        if choice == 11:
            return rng.choice([b'[NaN]', b'[Infinity]', b"['x']",
                               b'[{op:"add"}]', b'"[]"', b'null', b'0'])
        if choice == 12:
            return b'[' + op.replace(b'"', b"'", 2) + b']'
        if choice == 13:
            n = rng.choice([999, 1000, 1001])
            return b'[' + b','.join([b'{"op":"remove","path":"/x"}'] * n) + \
                b']'
        if choice == 14:
            return encode(Writer(rng, ws_rate=0.5, bad_ws=0.3).value(
                [self.some_op(dialect)]))
        if choice == 15:
            return b'[' + op + b']' + rng.choice([b' ', b'\n', b'\x00',
                                                  b'\xc2\xa0'])
        if choice == 16:
            return b'[' + op + b'\r\n]'
        return encode(Writer(rng, mode_weights=[('broken', 1)]).value(
            [self.some_op(dialect)]))

    def c_mutate(self, w, dialect):
        """A generated patch with a few bytes changed."""
        rng = self.rng
        ops = [self.some_op(dialect) for _ in range(rng.randint(1, 3))]
        body = bytearray(assemble(w, [encode(w.value(o)) for o in ops]))
        for _ in range(rng.randint(1, 3)):
            if not body:
                break
            k = rng.randrange(len(body))
            how = rng.randrange(4)
            b = rng.choice(b'"\\/~{}[],: \t\x00\x7fu0aA_' +
                           bytes([0x80, 0xc0, 0xc2, 0xe2, 0xed, 0xef, 0xf0,
                                  0xff]))
            if how == 0:
                del body[k]
            elif how == 1:
                body.insert(k, b)
            elif how == 2:
                body[k] = b
            else:
                body[k:k] = body[k:k + rng.randint(1, 8)]
        return bytes(body)

    def c_long(self, w, dialect):
        """Names and values at their byte and character limits."""
        rng = self.rng
        r = rng.randrange(4)
        kind = rng.choice(['add', 'replace'])
        if r == 0:
            ch = rng.choice(['x', '\u00e9', '\u4e2d'])
            name = ch * rng.choice([254, 255, 256])
            return [self.op(dialect, kind, self.pointer(name), 'v')]
        if r == 1:
            ch = rng.choice(['x', '\u00e9', '\u4e2d', '\x00'])
            n = rng.choice([65535, 65536]) // len(ch.encode())
            n += rng.choice([0, 1]) if ch != 'x' else 0
            return [self.op(dialect, kind, '/custom', ch * n)]
        if r == 2:
            return [self.op(dialect, kind, '/__description',
                            rng.choice(['x', '\u4e2d', '\u00e9']) *
                            rng.choice([1024, 1025]))]
        return [self.op(dialect, kind, '/name',
                        rng.choice(['x', '\u4e2d']) *
                        rng.choice([128, 129]))]


def assemble(w, texts):
    ws = w.ws
    return encode('[' + ws()) + encode(ws() + ',' + ws()).join(texts) + \
        encode(ws() + ']')


# --------------------------------------------------------------------------
# the comparison

def py_kind(v):
    if v is None:
        return 'null'
    if isinstance(v, bool):
        return 'boolean'
    if isinstance(v, (int, float)):
        return 'number'
    if isinstance(v, str):
        return 'string'
    if isinstance(v, list):
        return 'array'
    return 'object'


def gw_text(hexed):
    """A gateway string; None if it is not UTF-8 (which would differ)."""
    try:
        return bytes.fromhex(hexed).decode('utf-8')
    except UnicodeDecodeError:
        return None


def compare(dialect, ops, changes, is_forbidden):
    """What is wrong with an accepted patch, as a list of sentences."""
    why = []
    if len(changes) != len(ops):
        why.append('the gateway judged %d operations, Glance parsed %d'
                   % (len(ops), len(changes)))
    for g, c in zip(ops, changes):
        i = g['index']
        name = gw_text(g['name'])
        if c.get('op') != g['op']:
            why.append('operation %d: the gateway judged %r, Glance runs %r'
                       % (i, g['op'], c.get('op')))
        if c.get('path') != [name]:
            why.append('operation %d: the gateway judged the attribute %r, '
                       'Glance edits the path %r' % (i, name, c.get('path')))
        if c.get('json_schema_version') != SCHEMA_VERSION[dialect]:
            why.append('operation %d: Glance read the other dialect' % i)
        if g['op'] != 'remove':
            v = c.get('value', MISSING)
            if g['kind'] == 'string':
                if not isinstance(v, str) or v != gw_text(g['value']):
                    why.append('operation %d: the gateway judged the value '
                               '%s, Glance stores %s'
                               % (i, show(gw_text(g['value']) or g['value']),
                                  show(v)))
            elif v is MISSING or py_kind(v) != g['kind']:
                why.append('operation %d: the gateway judged a value of kind '
                           '%s, Glance stores %s' % (i, g['kind'], show(v)))
    for c in changes:
        root = c.get('path', [''])[0] if c.get('path') else ''
        if is_forbidden(root):
            why.append('Glance would %s the forbidden attribute %r'
                       % (c.get('op'), root))
    for g in ops:
        name = gw_text(g['name'])
        if name is None or is_forbidden(name):
            why.append('the gateway let %r through' % name)
    return why


def show(v, limit=160):
    if v is MISSING:
        return '(none)'
    s = repr(v)
    return s if len(s) <= limit else s[:limit] + '...(%d chars)' % len(s)


def show_ops(ops):
    return [(g['op'], gw_text(g['name']), g['kind'],
             gw_text(g['value']) if g['value'] is not None else None)
            for g in ops]


# --------------------------------------------------------------------------
# the run

class Run:
    def __init__(self, args, core, glance):
        self.args = args
        self.core = core
        self.glance = glance
        self.forbidden = set(core.system)
        self.skew = False
        for t in args.self_test or []:
            if t.startswith('forbid='):
                self.forbidden.add(t[7:])
            elif t == 'skew-glance':
                self.skew = True
            else:
                sys.exit('glance_diff: unknown --self-test %r' % t)
        self.stats = collections.defaultdict(collections.Counter)
        self.reject_codes = collections.Counter()
        self.accepted_refused = collections.Counter()
        self.rejected_glance_ok = collections.Counter()
        self.rejected_why = collections.Counter()
        self.failures = 0

    def is_forbidden(self, name):
        return name in self.forbidden or name.startswith(RESERVED_PREFIX)

    def check(self, dialect, body, chunk):
        """(verdict, glance, problems) for one body."""
        v = {r: self.core.judge(dialect, r, body, chunk if r == 'stream'
                                else 0) for r in READERS}
        why = []
        s, j = v['stream'], v['jansson']
        if (s['status'], s['code']) != (j['status'], j['code']):
            why.append('the readers disagree: stream %s %s, jansson %s %s'
                       % (s['status'], s['code'], j['status'], j['code']))
        elif s['status'] == 0 and s['ops'] != j['ops']:
            why.append('the readers judged different operations')
        for r, x in v.items():
            # the same reader and rules: the same verdict, but for the
            # blank body, which the gate (not the reader) calls IMG.0007
            if (x['status'], x['code']) != (x['record'], x['record_code']) \
                    and x['code'] != 'IMG.0007':
                why.append('%s: the recording run ended %s %s, the gateway '
                           '%s %s' % (r, x['record'], x['record_code'],
                                      x['status'], x['code']))
        g = self.glance.parse(dialect, body)
        if self.skew and g[0] == 'ok':
            for c in g[1]:
                c['path'] = [c['path'][0] + '\u00a0'] + c['path'][1:]
        for r, x in v.items():
            if x['status'] != 0:
                continue
            if g[0] != 'ok':
                continue
            for w in compare(dialect, x['ops'], g[1], self.is_forbidden):
                why.append('%s: %s' % (r, w))
        return v, g, why

    def count(self, cls, v, g):
        st = self.stats[cls]
        st['patches'] += 1
        s = v['stream']
        if s['status'] == 0:
            st['accepted'] += 1
            if g[0] == 'ok':
                st['accepted, Glance parses'] += 1
            else:
                st['accepted, Glance refuses'] += 1
                self.accepted_refused[reason_class(g[1])] += 1
        else:
            st['rejected'] += 1
            self.reject_codes[s['code']] += 1
            if g[0] == 'ok':
                st['rejected, Glance parses'] += 1
                self.rejected_glance_ok[s['code']] += 1
                self.rejected_why[detail_class(s['code'], s['detail'])] += 1
            else:
                st['rejected, Glance refuses'] += 1

    def report_failure(self, label, dialect, body, chunk, v, g, why,
                       pieces=None):
        self.failures += 1
        small = self.minimize(dialect, chunk, pieces) if pieces else None
        out = sys.stdout
        print('\nFAIL %s (v%s, the streaming reader fed %s)'
              % (label, '2.0' if dialect == 20 else '2.1',
                 'in pieces of %d bytes' % chunk if chunk else 'at once'),
              file=out)
        for w in why:
            print('  why:      ' + w, file=out)
        print('  body:     ' + show(body, 2000), file=out)
        if small and small != body:
            print('  smallest: ' + show(small, 2000), file=out)
            v, g, why = self.check(dialect, small, chunk)
            for w in why:
                print('  why:      ' + w, file=out)
            body = small
        for r, x in v.items():
            print('  gateway %-7s %s %s %s' % (r + ':', x['status'] or 'pass',
                                               x['code'], x['detail']),
                  file=out)
            if x['status'] == 0:
                print('           ops: ' + show(show_ops(x['ops']), 2000),
                      file=out)
        print('  Glance:   ' + (show(g[1], 2000) if g[0] == 'ok'
                                else 'refused: ' + g[1]), file=out)
        if self.args.failures_dir:
            os.makedirs(self.args.failures_dir, exist_ok=True)
            name = os.path.join(self.args.failures_dir,
                                '%s.json' % re.sub(r'\W+', '-', label))
            with open(name, 'w', encoding='utf-8') as f:
                json.dump(finding(dialect, body, chunk, why), f, indent=1,
                          ensure_ascii=False)
                f.write('\n')
            print('  saved:    ' + name, file=out)
        out.flush()

    def minimize(self, dialect, chunk, pieces):
        """The fewest operations that still fail (a greedy search)."""
        w, texts = pieces
        texts = list(texts)

        def fails(t):
            return bool(self.check(dialect, assemble(w, t), chunk)[2])

        for t in texts:
            if fails([t]):
                return assemble(w, [t])
        k = 0
        while k < len(texts):
            trial = texts[:k] + texts[k + 1:]
            if trial and fails(trial):
                texts = trial
            else:
                k += 1
        return assemble(w, texts)

    def summary(self, n, elapsed):
        total = collections.Counter()
        for st in self.stats.values():
            total.update(st)
        cols = ['patches', 'accepted', 'accepted, Glance parses',
                'accepted, Glance refuses', 'rejected',
                'rejected, Glance parses', 'rejected, Glance refuses']
        heads = ['patches', 'accepted', 'acc+G ok', 'acc+G no', 'rejected',
                 'rej+G ok', 'rej+G no']
        print('\n%-18s' % 'class' + ''.join('%10s' % h for h in heads))
        for cls in ['sweep'] + [c for c, _ in Gen.CLASSES] + ['replay']:
            if cls in self.stats:
                print('%-18s' % cls + ''.join('%10d' % self.stats[cls][c]
                                              for c in cols))
        print('%-18s' % 'total' + ''.join('%10d' % total[c] for c in cols))
        print('\nrejected by the gateway, by code: ' + ', '.join(
            '%s %d' % kv for kv in sorted(self.reject_codes.items())))
        print('of those, Glance parses: ' + ', '.join(
            '%s %d' % kv for kv in sorted(self.rejected_glance_ok.items())))
        print('what the gateway refuses and Glance parses, most common:')
        for r, k in self.rejected_why.most_common(self.args.top):
            print('  %7d  %s' % (k, r))
        if self.accepted_refused:
            print('accepted by the gateway, refused by Glance:')
            for r, k in self.accepted_refused.most_common(12):
                print('  %7d  %s' % (k, r))
        print('\n%d patches in %.1f s (%.0f/s), %d failures'
              % (n, elapsed, n / elapsed if elapsed else 0, self.failures))


def finding(dialect, body, chunk, why):
    d = {'dialect': '2.0' if dialect == 20 else '2.1', 'chunk': chunk,
         'why': why, 'body_base64': base64.b64encode(body).decode('ascii')}
    try:
        d['body'] = body.decode('utf-8')
    except UnicodeDecodeError:
        pass
    return d


def replay(run, path):
    """Judge saved findings again: each one that still fails fails."""
    files = [os.path.join(path, f) for f in sorted(os.listdir(path))
             if f.endswith('.json')] if os.path.isdir(path) else [path]
    n = 0
    for name in files:
        with open(name, encoding='utf-8') as f:
            d = json.load(f)
        dialect = 20 if d['dialect'] == '2.0' else 21
        body = base64.b64decode(d['body_base64'])
        chunk = d.get('chunk', 0)
        v, g, why = run.check(dialect, body, chunk)
        run.count('replay', v, g)
        n += 1
        if why:
            run.report_failure(os.path.splitext(os.path.basename(name))[0],
                               dialect, body, chunk, v, g, why)
        else:
            print('replay %s: no longer fails' % name)
    return n


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--lib', default=os.path.join(top, 'build',
                                                  'libims-judge.so'))
    ap.add_argument('--count', type=int, default=1000000)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--start', type=int, default=0,
                    help='the first patch index')
    ap.add_argument('--time-limit', type=float, default=0,
                    help='stop after this many seconds (0: none)')
    ap.add_argument('--progress', type=float, default=15,
                    help='seconds between progress lines')
    ap.add_argument('--index', type=int, action='append',
                    help='judge and show only patch I (repeatable)')
    ap.add_argument('--body', help='judge and show only this body (UTF-8 '
                    'text; --body-hex for any bytes)')
    ap.add_argument('--body-hex')
    ap.add_argument('--dialect', choices=('2.0', '2.1'), default='2.1',
                    help='of --body')
    ap.add_argument('--replay', metavar='PATH',
                    help='judge saved findings (a file or a directory)')
    ap.add_argument('--max-failures', type=int, default=10)
    ap.add_argument('--top', type=int, default=20,
                    help='kinds of refusal listed in the summary')
    ap.add_argument('--failures-dir', default=os.path.join(
        top, 'build', 'glance-diff-failures'))
    ap.add_argument('--exact-schema', action='store_true',
                    help="Glance's own Schema.validate() (slow)")
    ap.add_argument('--self-test', action='append', metavar='HOW',
                    help='break the harness on purpose: forbid=NAME counts '
                         'NAME as a system attribute; skew-glance alters '
                         "Glance's parsed paths")
    args = ap.parse_args()

    core = Core(args.lib)

    # what the rules forbid: the library's catalog, the source's and the
    # one docs/rules.md lists, all of them (a library that lost a name
    # must not make the harness lose it too)
    system = list(core.system)
    for what, names in (('src/ims_attrs.c', catalog_from_source(
                            os.path.join(top, 'src', 'ims_attrs.c'))),
                        ('docs/rules.md', catalog_from_rules(
                            os.path.join(top, 'docs', 'rules.md')))):
        if names is None:
            print('glance_diff: warning: no catalog found in ' + what)
            continue
        if set(names) != set(core.system):
            print('glance_diff: warning: the catalog of %s differs from %s '
                  '(a stale build?): only in the library %s, only in %s %s'
                  % (args.lib, what, sorted(set(core.system) - set(names)),
                     what, sorted(set(names) - set(core.system))))
        system += [n for n in names if n not in system]
    core.system = system

    glance = Glance(args.exact_schema)
    run = Run(args, core, glance)
    gen = Gen(args.seed, core.system)

    if args.replay:
        t0 = time.monotonic()
        n = replay(run, args.replay)
        run.summary(n, time.monotonic() - t0)
        return 1 if run.failures else 0

    if args.body is not None or args.body_hex is not None:
        body = args.body.encode('utf-8', 'surrogateescape') \
            if args.body is not None else bytes.fromhex(args.body_hex)
        args.index = [(None, 'body', 20 if args.dialect == '2.0' else 21,
                       body)]

    if args.index:
        bad = False
        for i in args.index:
            if isinstance(i, tuple):
                i, cls, dialect, body = i
                chunk = 0
            else:
                cls, dialect, body, pieces = gen.patch(i)
                chunk = chunk_for(args.seed, i, len(body))
            v, g, why = run.check(dialect, body, chunk)
            print('%s: %s, v%s, chunk %d'
                  % ('body' if i is None else 'patch %d' % i, cls,
                     dialect / 10, chunk))
            print('  body:    ' + show(body, 4000))
            for r, x in v.items():
                print('  %-8s %s %s %s' % (r, x['status'] or 'pass',
                                           x['code'], x['detail']))
                if x['status'] == 0:
                    print('           ops: ' + show(show_ops(x['ops']), 4000))
            print('  Glance:  ' + (show(g[1], 4000) if g[0] == 'ok'
                                   else 'refused: ' + g[1]))
            for w in why:
                print('  FAIL:    ' + w)
            bad = bad or bool(why)
        return 1 if bad else 0

    print('glance-diff: %d patches from seed %d (start %d), %s; %d system '
          'attributes; %s' % (args.count, args.seed, args.start,
                              'at most %gs' % args.time_limit
                              if args.time_limit else 'no time limit',
                              len(core.system), args.lib))
    sys.stdout.flush()
    t0 = time.monotonic()
    last = t0
    n = 0
    stopped = ''
    for i in range(args.start, args.start + args.count):
        cls, dialect, body, pieces = gen.patch(i)
        chunk = chunk_for(args.seed, i, len(body))
        v, g, why = run.check(dialect, body, chunk)
        run.count(cls, v, g)
        n += 1
        if why:
            run.report_failure('seed %d patch %d %s' % (args.seed, i, cls),
                               dialect, body, chunk, v, g, why, pieces)
            if run.failures >= args.max_failures:
                stopped = 'after %d failures' % run.failures
                break
        now = time.monotonic()
        if now - last >= args.progress:
            last = now
            total = collections.Counter()
            for st in run.stats.values():
                total.update(st)
            print('glance-diff: %d patches, %.0f/s, accepted %d, rejected '
                  '%d, failures %d' % (n, n / (now - t0), total['accepted'],
                                       total['rejected'], run.failures))
            sys.stdout.flush()
        if args.time_limit and now - t0 >= args.time_limit:
            stopped = 'by the time limit (%gs)' % args.time_limit
            break
    elapsed = time.monotonic() - t0
    run.summary(n, elapsed)
    if stopped:
        print('stopped %s, patches %d to %d done' % (stopped, args.start,
                                                    args.start + n - 1))
    if run.failures:
        print('glance-diff: FAILED (%d)' % run.failures)
        return 1
    print('glance-diff: passed')
    return 0


def chunk_for(seed, i, length):
    """How the streaming reader is fed: whole, or in pieces as nginx might."""
    r = random.Random(seed * 0x100000001 + i + 0x5eed)
    x = r.random()
    if x < 0.6 or length < 2:
        return 0
    if x < 0.85:
        return r.randint(1, 16)
    return r.randint(1, length)


if __name__ == '__main__':
    sys.exit(main())
