#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# Operator controls (docs/rules.md, "Configuration") through nginx: monitor
# mode, the attribute policy (ims_system_attributes, ims_editable_attributes),
# ims_forbidden_status, the limit directives at and over their boundaries,
# ims_name_pattern, ims_description_forbidden_chars, ims_log_level, the
# $ims_* variables, and nginx's own 413 in front of the gateway.
#
# Several policies share one nginx: regex locations pick them by the first
# hex digit of the image id (uuid('2') is /v2/images/2000...).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use NgxTest;
use Ims;

NgxTest::require_module();


my $FORBIDDEN_REASON =
    "Operation 0: '__imagetype' is a system attribute and cannot be changed.";

my $CJK = "\xe9\x95\x9c";    # U+955C, a CJK ideograph (3 bytes)

my $PROXY = <<'EOF';
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
EOF

sub uuid { "$_[0]0000000-0000-4000-8000-000000000000" }

sub patch {
    my ($ct, $body, %more) = @_;
    return (method => 'PATCH', uri => '/v2/images/' . uuid($more{at} // 1),
            body => $body,
            headers => [defined $ct ? ('Content-Type' => $ct) : (),
                        @{ $more{headers} // [] }],
            $more{chunked} ? (chunked => $more{chunked}) : ());
}

sub short { length $_[0] > 60 ? substr($_[0], 0, 57) . '...' : $_[0] }

# the access-log line of the request tagged "X-Id: $id" (logs come after
# the response)
sub log_line {
    my ($t, $file, $id) = @_;
    my $line;
    NgxTest::wait_for(sub {
        ($line) = $t->file($file) =~ /^id=\Q$id\E (.*)$/m;
        defined $line;
    });
    return $line // '';
}

# id=... v=[$ims_verdict] c=[$ims_error_code] ct=[$ims_content_type] r=[...]
my $VARS_FORMAT = <<'EOF';
    log_format ims_vars 'id=$http_x_id v=[$ims_verdict] c=[$ims_error_code] '
                        'ct=[$ims_content_type] r=[$ims_reason]';
EOF

### monitor mode: everything evaluated, nothing changed

# title, request, status and code when enforced, $ims_content_type
my @monitor = (
    ['forbidden patch, Content-Type to normalize',
        { patch('Application/OpenStack-Images-v2.1-JSON-Patch; charset=UTF-8',
                $FORBIDDEN) }, 400, 'IMG.0105', $V21],
    ['forbidden patch, v2.0, chunked',
        { patch('APPLICATION/openstack-images-v2.0-json-patch',
                '[{"replace":"/__os_bit","value":"64"}]', chunked => [5]) },
        400, 'IMG.0105', $V20],
    ['bad Content-Type',
        { patch('application/json', $RENAME) }, 415, 'IMG.0001', ''],
    ['no Content-Type', { patch(undef, $RENAME) }, 415, 'IMG.0001', ''],
    ['bad query',
        { method => 'GET', uri => '/v2/cloudimages?limit=5&__imagetype=Gold' },
        400, 'IMG.0024', ''],
    ['image id not a UUID',
        { method => 'PATCH', uri => '/v2/images/not-a-uuid', body => '[]',
          headers => ['Content-Type' => $V21] }, 400, 'IMG.0066', ''],
    ['forbidden after 300 operations, body in a temporary file',
        { patch('application/openstack-images-v2.1-json-patch;charset=UTF-8',
                '[' . join(',', map { op21('add', "/k$_", '"' . 'v' x 100 . '"') }
                                1 .. 300)
                . ',' . op21('remove', '/__os_type') . ']') },
        400, 'IMG.0105', $V21],
    ['accepted patch, Content-Type to normalize',
        { patch(' Application/OpenStack-Images-v2.1-JSON-Patch ;charset="utf-8"',
                $RENAME) }, 200, '', $V21],
);

for my $mode (qw(monitor on)) {
    my $t = NgxTest->new(http_config => "$VARS_FORMAT    client_body_buffer_size 1k;\n",
                         config => <<"EOF");
        access_log %%DIR%%/vars.log ims_vars;

        location / {
            ims_gateway $mode;
$PROXY
        }
EOF

    for my $i (0 .. $#monitor) {
        my ($title, $req, $status, $code, $ct) = @{ $monitor[$i] };
        $title = "$mode: $title";
        my $id = "m$i";
        my %req = %$req;
        $req{headers} = [@{ $req{headers} // [] }, 'X-Id' => $id];
        my ($sent_ct) = map { $req{headers}[$_ + 1] }
                        grep { $req{headers}[$_] eq 'Content-Type' }
                        grep { $_ % 2 == 0 } 0 .. $#{ $req{headers} };
        my $before = $t->upstream_count;

        my $r = $t->request(%req);

        if ($mode eq 'monitor' || $status == 200) {
            is($r->{status}, 200, "$title: forwarded (200)");
            is($t->upstream_count, $before + 1, "$title: reached upstream");
            my $up = ($t->upstream_requests)[-1];
            is("$up->{method} $up->{uri}", "$req{method} $req{uri}",
               "$title: method and URI unchanged");
            ok(($up->{body} // '') eq ($req{body} // ''),
               "$title: body byte-for-byte");
            my @h = @{ $req{headers} };
            my @lost;
            while (my ($name, $value) = splice @h, 0, 2) {
                next if $name eq 'Content-Type';
                push @lost, $name unless grep { $_ eq $value }
                    @{ $up->{headers}{lc $name} // [] };
            }
            is("@lost", '', "$title: other headers kept");

            # nginx trims the spaces around a header value
            my $expect_ct = $mode eq 'on' ? $V21
                          : defined $sent_ct ? $sent_ct =~ s/^ +| +$//gr
                          : undef;
            is_deeply($up->{headers}{'content-type'},
                      defined $expect_ct ? [$expect_ct] : undef,
                      $mode eq 'on' ? "$title: canonical Content-Type"
                                    : "$title: the original Content-Type");
        } else {
            is($r->{status}, $status, "$title: $status");
            is(error_code($r), $code, "$title: $code");
            is($t->upstream_count, $before, "$title: not forwarded");
        }

        my $verdict = !$code ? 'pass'
                    : $mode eq 'monitor' ? 'would_reject' : 'reject';
        my $line = log_line($t, 'vars.log', $id);
        my ($reason) = $line =~ / r=\[(.*)\]$/;
        is($line =~ s/ r=\[.*\]$//r, "v=[$verdict] c=[$code] ct=[$ct]",
           "$title: \$ims_verdict, \$ims_error_code, \$ims_content_type");
        if ($code) {
            like($reason // '', qr/\S/, "$title: \$ims_reason set");
        } else {
            is($reason, '', "$title: \$ims_reason empty");
        }
    }

    my $log = $t->error_log;
    my $verb = $mode eq 'monitor' ? 'would reject' : 'rejected';
    like($log, qr/\[info\] .*ims: \Q$verb with 400 IMG.0105: $FORBIDDEN_REASON\E/,
         "$mode: error log: $verb, IMG.0105");
    like($log, qr/ims: \Q$verb\E with 415 IMG\.0001: Content-Type/,
         "$mode: error log: $verb, 415");
    like($log, qr/ims: \Q$verb\E with 400 IMG\.0024: Query parameter/,
         "$mode: error log: $verb, query");
    like($log, qr/a client request body is buffered to a temporary file/,
         "$mode: a body was read from a temporary file");
    my $other = $mode eq 'monitor' ? 'rejected' : 'would reject';
    unlike($log, qr/ims: $other with/, "$mode: never '$other'");
    is(scalar(() = $log =~ /ims: \Q$verb\E with/g), 7,
       "$mode: one error-log line per rejection");

    $t->stop;
}

### attribute policy: system list > editable list > built-in catalog

my $t = NgxTest->new(config => <<"EOF");
        ims_gateway on;

        # the rules' own example, and more entries on repeated directives
        ims_editable_attributes ~^__support_;
        ims_system_attributes __support_arm;
        ims_editable_attributes __os_bit;
        ims_system_attributes corp_owner ~^x_sys_\\d+\$ ~secret;

        location / {                          # inherits both lists
$PROXY
        }

        location ~ ^/v2/images/2 {            # own system list
            ims_system_attributes legacy_flag;
$PROXY
        }

        location ~ ^/v2/images/3 {            # own editable list
            ims_editable_attributes ~^hw_ checksum;
$PROXY
        }

        location ~ ^/v2/images/4 {            # everything editable ...
            ims_editable_attributes ~.;
            ims_system_attributes name ~^id\$;    # ... but these
$PROXY
        }
EOF

# location, attribute, forbidden?
my @policy = (
    # server lists, inherited
    [1, '__support_kvm', 0], [1, '__support_amd', 0],
    [1, '__support_xen_gpu_type', 0],
    [1, '__support_arm', 1],            # explicit system beats editable
    [1, '__os_bit', 0],                 # exact editable name
    [1, '__os_bit2', 0],                # not in the catalog anyway
    [1, '__os_type', 1],                # catalog still applies to others
    [1, 'status', 1], [1, 'os_glance_x', 1],
    [1, 'my__support_kvm', 0],          # ^ anchors the editable pattern
    [1, 'corp_owner', 1],
    [1, 'corp_owner2', 0], [1, 'Corp_owner', 0],    # exact, case-sensitive
    [1, 'x_sys_12', 1], [1, 'x_sys_12a', 0], [1, 'x_sys_', 0],
    [1, 'my_secret_key', 1],            # unanchored pattern: anywhere
    [1, 'custom', 0], [1, 'name', 0],

    # location 2: own system list replaces the server's; editable inherited
    [2, 'legacy_flag', 1],
    [2, 'corp_owner', 0], [2, 'x_sys_12', 0], [2, 'my_secret_key', 0],
    [2, '__support_arm', 0],            # now only editable ~^__support_
    [2, '__support_kvm', 0], [2, '__os_bit', 0],
    [2, '__os_type', 1], [2, 'id', 1],

    # location 3: own editable list replaces the server's; system inherited
    [3, 'hw_firmware_type', 0], [3, 'hw_vif_multiqueue_enabled', 0],
    [3, 'checksum', 0],
    [3, '__support_kvm', 1], [3, '__os_bit', 1],    # catalog again
    [3, '__support_arm', 1], [3, 'corp_owner', 1], [3, 'my_secret_key', 1],
    [3, 'hw_custom', 0], [3, 'virtual_env_type', 1],

    # location 4: ~. makes the whole catalog editable, system list wins
    [4, 'status', 0], [4, '__imagetype', 0], [4, 'os_glance_x', 0],
    [4, 'name', 1], [4, 'id', 1], [4, 'ids', 0], [4, 'corp_owner', 0],
);

for my $row (@policy) {
    my ($at, $attr, $forbidden) = @$row;
    my $title = "location $at: '$attr' "
                . ($forbidden ? 'is a system attribute' : 'is editable');

    for my $op (qw(replace remove)) {
        my $body = '[' . op21($op, "/$attr", $op eq 'remove' ? () : '"v1"')
                   . ']';
        my $before = $t->upstream_count;
        my $r = $t->request(patch($V21, $body, at => $at));

        if ($forbidden) {
            is($r->{status}, 400, "$title ($op): 400");
            is(error_code($r), 'IMG.0105', "$title ($op): IMG.0105");
            like($r->{body}, qr/'\Q$attr\E' is a system attribute/,
                 "$title ($op): message names it");
            is($t->upstream_count, $before, "$title ($op): not forwarded");
        } elsif ($attr eq 'name' && $op eq 'remove') {
            is(error_code($r), 'IMG.0013', "$title ($op): name rules apply");
        } else {
            is($r->{status}, 200, "$title ($op): 200") or diag($r->{body});
            is($t->upstream_count, $before + 1, "$title ($op): forwarded");
        }
    }
}

# the name and description rules still apply to an editable "name"
is(error_code($t->request(patch($V21, '[' . op21('replace', '/name', '"a<b"')
                                      . ']', at => 1))),
   'IMG.0003', 'editable name: name format still checked');

$t->stop;

### ims_forbidden_status, inherited from http

$t = NgxTest->new(http_config => <<'EOF', config => <<"EOF");
    ims_forbidden_status 403;
    ims_system_attributes corp_owner;
EOF
        ims_gateway on;

        location / {
$PROXY
        }

        location ~ ^/v2/images/2 {
            ims_forbidden_status 400;
$PROXY
        }

        location ~ ^/v2/images/3 {
            ims_gateway monitor;
$PROXY
        }
EOF

# location, body, status, code
my @status = (
    [1, $FORBIDDEN, 403, 'IMG.0105'],
    [1, '[' . op21('remove', '/corp_owner') . ']', 403, 'IMG.0105'],
    [1, '[' . op21('remove', '/os_glance_import_task') . ']', 403, 'IMG.0105'],
    [1, '[' . op21('remove', '/name') . ']', 400, 'IMG.0013'],  # not an edit
    [1, '[' . op21('add', '/x', '1') . ']', 400, 'IMG.0001'],
    [1, '[{]', 400, 'IMG.0001'],
    [1, $RENAME, 200, ''],
    [2, $FORBIDDEN, 400, 'IMG.0105'],
    [2, '[' . op21('remove', '/corp_owner') . ']', 400, 'IMG.0105'],
    [3, $FORBIDDEN, 200, ''],
);

for my $row (@status) {
    my ($at, $body, $status, $code) = @$row;
    my $title = "forbidden_status, location $at, " . short($body);
    my $r = $t->request(patch($V21, $body, at => $at));
    is($r->{status}, $status, "$title: $status");
    is(error_code($r), $code, "$title: code '$code'");
    is_deeply($r->{headers}{'content-type'}, ['application/json'],
              "$title: JSON error") if $code;
}

my $r = $t->request(patch('text/plain', $FORBIDDEN));
is($r->{status}, 415, 'forbidden_status 403: a bad Content-Type is still 415');

like($t->error_log, qr/ims: rejected with 403 IMG\.0105: Operation 0: '__imagetype'/,
     'error log: rejected with 403');
like($t->error_log, qr/ims: would reject with 403 IMG\.0105/,
     'monitor: would reject with 403');

$t->stop;

### limits at and over their boundaries

$t = NgxTest->new(http_config => <<'EOF', config => <<"EOF");
    client_max_body_size 4m;
EOF
        ims_gateway on;

        ims_max_depth 3;                      # inherited by location /
        ims_max_operations 5;
        ims_name_max_length 10;
        ims_description_max_length 20;

        location / {
$PROXY
        }

        location ~ ^/v2/images/2 {
            ims_max_depth 2;
            ims_max_operations 1;
            ims_name_max_length 1;
            ims_description_max_length 1;
$PROXY
        }

        location ~ ^/v2/images/3 {
            ims_max_depth 2048;
            ims_max_operations 1000000;
            ims_name_max_length 65535;
            ims_description_max_length 65535;
$PROXY
        }

        location ~ ^/v2/images/4 {
            ims_max_depth 1;
$PROXY
        }
EOF

sub nested { my ($n) = @_; '[' x $n . ']' x $n }
sub ops { '[' . join(',', (op21('remove', '/x')) x $_[0]) . ']' }
sub name { '[' . op21('replace', '/name', "\"$_[0]\"") . ']' }
sub descr { '[' . op21('add', '/__description', "\"$_[0]\"") . ']' }

# location, title, body, status, code, message
my @limits = (
    [1, 'depth 3', '[' . op21('remove', '/x', nested(1)) . ']', 200],
    [1, 'depth 4', '[' . op21('remove', '/x', nested(2)) . ']', 400,
        'IMG.0001', 'The body nests more than 3 levels deep.'],
    [1, '5 operations', ops(5), 200],
    [1, '6 operations', ops(6), 400, 'IMG.0001',
        'The patch has more than 5 operations.'],
    [1, 'name of 10', name('a' x 10), 200],
    [1, 'name of 11', name('a' x 11), 400, 'IMG.0002',
        "Operation 0: 'name' has 11 characters, more than 10."],
    [1, 'name of 10 CJK (30 bytes)', name($CJK x 10), 200],
    [1, 'name of 11 CJK', name($CJK x 11), 400, 'IMG.0002'],
    [1, 'description of 20', descr('d' x 20), 200],
    [1, 'description of 21', descr('d' x 21), 400, 'IMG.0004',
        "Operation 0: '__description' has 21 characters, more than 20."],
    [1, 'description of 20 CJK', descr($CJK x 20), 200],
    [1, 'description of 21 CJK', descr($CJK x 21), 400, 'IMG.0004'],

    [2, 'depth 2', ops(1), 200],
    [2, 'depth 3', '[' . op21('remove', '/x', '[]') . ']', 400, 'IMG.0001'],
    [2, '1 operation', ops(1), 200],
    [2, '2 operations', ops(2), 400, 'IMG.0001'],
    [2, 'name of 1', name('a'), 200],
    [2, 'name of 1 CJK', name($CJK), 200],
    [2, 'name of 2', name('ab'), 400, 'IMG.0002'],
    [2, 'empty description', descr(''), 200],
    [2, 'description of 1', descr('d'), 200],
    [2, 'description of 2', descr('dd'), 400, 'IMG.0004'],

    [3, 'depth 2048', '[' . op21('remove', '/x', nested(2046)) . ']', 200],
    [3, 'depth 2049', '[' . op21('remove', '/x', nested(2047)) . ']', 400,
        'IMG.0001'],
    [3, '1001 operations', ops(1001), 200],
    [3, '20000 operations', ops(20000), 200],
    [3, 'name of 65535', name('a' x 65535), 200],
    [3, 'name of 65536', name('a' x 65536), 400, 'IMG.0002'],
    [3, 'description of 65535', descr('d' x 65535), 200],
    [3, 'description of 65536', descr('d' x 65536), 400, 'IMG.0004'],

    [4, 'depth 1: empty patch', '[]', 200],
    [4, 'depth 1: one operation', ops(1), 400, 'IMG.0001',
        'The body nests more than 1 levels deep.'],
);

for my $row (@limits) {
    my ($at, $title, $body, $status, $code, $message) = @$row;
    $title = "location $at, $title";
    my $before = $t->upstream_count;
    my $r = $t->request(patch($V21, $body, at => $at));

    is($r->{status}, $status, "$title: $status")
        or diag(short($r->{body}));
    if ($status == 200) {
        is($t->upstream_count, $before + 1, "$title: forwarded");
        ok(($t->upstream_requests)[-1]{body} eq $body, "$title: body intact");
        next;
    }
    is(error_code($r), $code, "$title: $code");
    is($t->upstream_count, $before, "$title: not forwarded");
    if ($message) {
        my $e = eval { decode_json($r->{body}) } // {};
        # the IMS table's text, then the detail
        like($e->{error}{message} // '', qr/ \Q$message\E$/,
             "$title: message");
    }
}

$t->stop;

### ims_name_pattern and ims_description_forbidden_chars

$t = NgxTest->new(config => <<"EOF");
        ims_gateway on;

        location / {                          # the built-in rules
$PROXY
        }

        location ~ ^/v2/images/2 {
            ims_name_pattern "^[a-z0-9-]+\$";
            ims_description_forbidden_chars "#";
$PROXY
        }

        location ~ ^/v2/images/3 {
            ims_name_pattern "[\\x{4e00}-\\x{9fff}]+";
            ims_description_forbidden_chars "";
$PROXY
        }

        location ~ ^/v2/images/4 {
            ims_name_pattern "[^<>]+";
            ims_name_max_length 5;
            ims_description_forbidden_chars "\xc2\xa7\xe2\x82\xac|";
$PROXY
        }
EOF

# location, name or description value (JSON string content), status, code
my @text = (
    # built-in
    [1, name => 'Web 01', 200], [1, name => "web-$CJK", 200],
    [1, name => ' web', 400, 'IMG.0003'], [1, name => 'a#b', 400, 'IMG.0003'],
    [1, descr => 'a#b', 200], [1, descr => 'a<b', 400, 'IMG.0054'],
    [1, descr => 'a\nb', 400, 'IMG.0054'],

    # ^[a-z0-9-]+$ replaces the character rule
    [2, name => 'web-01', 200], [2, name => 'Web-01', 400, 'IMG.0003'],
    [2, name => 'web 01', 400, 'IMG.0003'],
    [2, name => 'web.01', 400, 'IMG.0003'],
    [2, name => $CJK, 400, 'IMG.0003'],       # built-in would allow it
    [2, name => 'web-01\n', 400, 'IMG.0003'],  # $ is not the end
    [2, name => 'a' x 128, 200], [2, name => 'a' x 129, 400, 'IMG.0002'],
    # forbidden chars "#": only "#"
    [2, descr => 'a#b', 400, 'IMG.0054'], [2, descr => 'a<b>', 200],
    [2, descr => 'a\r\nb', 200],

    # CJK only, unanchored in the config: the whole name must match
    [3, name => "$CJK$CJK", 200],
    [3, name => "\xe4\xb8\x80\xe9\xbe\xbf", 200],     # U+4E00, U+9FBF
    [3, name => "\xe9\xbf\xbf", 200],                 # U+9FFF
    [3, name => "\xe4\xb8\x80a", 400, 'IMG.0003'],
    [3, name => "a\xe4\xb8\x80", 400, 'IMG.0003'],
    [3, name => 'abc', 400, 'IMG.0003'],
    [3, name => "\xe3\x80\x80", 400, 'IMG.0003'],     # U+3000
    [3, name => '\u9fff', 200],                       # JSON escape
    # "" forbids nothing, but BMP-only still holds
    [3, descr => '<b>\r\n</b>', 200],
    [3, descr => '\ud83d\ude00', 400, 'IMG.0054'],

    # [^<>]+ : leading spaces allowed now, length and BMP rules kept
    [4, name => ' a b ', 200], [4, name => '<a', 400, 'IMG.0003'],
    [4, name => '123456', 400, 'IMG.0002'],
    [4, name => '\ud83d\ude00', 400, 'IMG.0003'],
    # multi-byte forbidden characters
    [4, descr => "a\xc2\xa7", 400, 'IMG.0054'],
    [4, descr => "\xe2\x82\xac", 400, 'IMG.0054'],
    [4, descr => 'a|b', 400, 'IMG.0054'],
    [4, descr => "\xc2\xa8\xe2\x82\xad<>", 200],      # neighbours are fine
);

for my $row (@text) {
    my ($at, $what, $value, $status, $code) = @$row;
    my $title = "location $at, $what \"" . short($value) . '"';
    my $body = $what eq 'name' ? name($value) : descr($value);
    my $r = $t->request(patch($V21, $body, at => $at));
    is($r->{status}, $status, "$title: $status") or diag($r->{body});
    is(error_code($r), $code // '', "$title: code") if $code;
}

$t->stop;

### ims_log_level: the level of the one line per rejection

my @levels = (
    # ims_log_level (undef: default), error_log level, line expected as
    [undef,    'warn',  undef],
    [undef,    'info',  'info'],
    ['warn',   'warn',  'warn'],
    ['warn',   'error', undef],
    ['error',  'error', 'error'],
    ['notice', 'warn',  undef],
    ['notice', 'notice', 'notice'],
    ['info',   'notice', undef],
    ['debug',  'info',  undef],
    ['debug',  'debug', 'debug'],
);

my $locations = '';
for my $i (0 .. $#levels) {
    my ($level, $log) = @{ $levels[$i] };
    my $directive = defined $level ? "ims_log_level $level;" : '';
    my $at = sprintf '%x', $i + 1;
    $locations .= <<"EOF";
        location ~ ^/v2/images/$at {
            $directive
            error_log %%DIR%%/level-$i.log $log;
$PROXY
        }
EOF
}

$t = NgxTest->new(config => "        ims_gateway on;\n$locations");

for my $i (0 .. $#levels) {
    my ($level, $log, $expect) = @{ $levels[$i] };
    my $title = 'ims_log_level ' . ($level // 'default (info)')
                . ", error_log $log";
    my $r = $t->request(patch($V21, $FORBIDDEN, at => sprintf '%x', $i + 1));
    is($r->{status}, 400, "$title: rejected");
    $r = $t->request(patch($V21, $RENAME, at => sprintf '%x', $i + 1));
    is($r->{status}, 200, "$title: accepted");

    my $text = $t->file("level-$i.log");
    my @lines = grep /ims: /, split /\n/, $text;
    if ($expect) {
        is(scalar @lines, 1, "$title: one line") or diag($text);
        like($lines[0] // '', qr/\[\Q$expect\E\] .*\Qims: rejected with 400 IMG.0105: $FORBIDDEN_REASON\E/,
             "$title: logged at [$expect]");
    } else {
        is(scalar @lines, 0, "$title: not logged") or diag($text);
    }
}

$t->stop;

### variables on pass, reject and not-inspected requests

$t = NgxTest->new(http_config => $VARS_FORMAT, config => <<"EOF");
        access_log %%DIR%%/vars.log ims_vars;

        location / {
            ims_gateway on;
            proxy_set_header X-Ims "v=\$ims_verdict ct=\$ims_content_type";
$PROXY
        }

        location ~ ^/v2/images/2 {
            ims_gateway off;
            proxy_set_header X-Ims "v=\$ims_verdict ct=\$ims_content_type";
$PROXY
        }
EOF

my $UUID = uuid(1);

# title, request, status, verdict, code, content type, reason
my @vars = (
    ['accepted v2.0 patch',
        { patch('Application/OpenStack-Images-v2.0-JSON-Patch',
                '[{"replace":"/name","value":"x"}]') },
        200, 'pass', '', $V20, ''],
    ['accepted v2.1 patch, chunked', { patch($V21, $RENAME, chunked => [3]) },
        200, 'pass', '', $V21, ''],
    ['forbidden patch', { patch($V21, $FORBIDDEN) },
        400, 'reject', 'IMG.0105', $V21, $FORBIDDEN_REASON],
    ['invalid JSON', { patch($V20, '[') },
        400, 'reject', 'IMG.0001', $V20, qr/^The body is not valid JSON/],
    ['415', { patch('application/json', $RENAME) },
        415, 'reject', 'IMG.0001', '',
        "Content-Type 'application/json': unsupported media type."],
    ['image id', { method => 'PATCH', uri => '/v2/images/x', body => '[]',
                   headers => ['Content-Type' => $V21] },
        400, 'reject', 'IMG.0066', '',
        'The image ID in the path must be a canonical UUID.'],
    ['accepted query', { method => 'GET', uri => '/v2/cloudimages?limit=1' },
        200, 'pass', '', '', ''],
    ['query without arguments', { method => 'HEAD', uri => '/v2/cloudimages' },
        200, 'pass', '', '', ''],
    ['rejected query', { method => 'GET', uri => '/v2/cloudimages?limit=x' },
        400, 'reject', 'IMG.0017', '', qr/^Query parameter 'limit'/],
    ['not inspected: GET /v2/images', { method => 'GET', uri => '/v2/images' },
        200, '', '', '', ''],
    ['not inspected: PUT .../file',
        { method => 'PUT', uri => "/v2/images/$UUID/file", body => 'data',
          headers => ['Content-Type' => 'application/octet-stream'] },
        200, '', '', '', ''],
    ['not inspected: POST /v2/cloudimages',
        { method => 'POST', uri => '/v2/cloudimages?limit=x', body => '{}' },
        200, '', '', '', ''],
    ['not inspected: ims_gateway off', { patch($V21, $FORBIDDEN, at => 2) },
        200, '', '', '', ''],
);

for my $i (0 .. $#vars) {
    my ($title, $req, $status, $v, $code, $ct, $reason) = @{ $vars[$i] };
    my %req = %$req;
    $req{headers} = [@{ $req{headers} // [] }, 'X-Id' => "v$i"];
    my $before = $t->upstream_count;

    my $r = $t->request(%req);
    is($r->{status}, $status, "$title: $status");

    my $line = log_line($t, 'vars.log', "v$i");
    my ($got_reason) = $line =~ / r=\[(.*)\]$/;
    is($line =~ s/ r=\[.*\]$//r, "v=[$v] c=[$code] ct=[$ct]",
       "$title: \$ims_verdict, \$ims_error_code, \$ims_content_type");
    if (ref $reason) {
        like($got_reason // '', $reason, "$title: \$ims_reason");
    } else {
        is($got_reason, $reason, "$title: \$ims_reason");
    }

    if ($status == 200) {
        is($t->upstream_count, $before + 1, "$title: forwarded");
        is_deeply(($t->upstream_requests)[-1]{headers}{'x-ims'},
                  ["v=$v ct=$ct"], "$title: variables in proxy_set_header");
    }
}

$t->stop;

### bodies over client_max_body_size: nginx's own 413

$t = NgxTest->new(config => <<"EOF");
        client_max_body_size 100;

        location / {
            ims_gateway on;
$PROXY
        }

        location ~ ^/v2/images/2 {
            ims_gateway monitor;
$PROXY
        }
EOF

my $at_limit = name('a' x 56);
my $over = name('a' x 57);
is(length $at_limit, 100, 'a patch of exactly 100 bytes');

for my $at (1, 2) {
    for my $chunked (0, 1) {
        my $how = ($at == 1 ? 'on' : 'monitor')
                  . ($chunked ? ', chunked' : ', Content-Length');
        my $before = $t->upstream_count;

        $r = $t->request(patch($V21, $at_limit, at => $at,
                               chunked => $chunked ? [7] : 0));
        is($r->{status}, 200, "$how: 100 bytes accepted");

        $r = $t->request(patch($V21, $over, at => $at,
                               chunked => $chunked ? [7] : 0));
        is($r->{status}, 413, "$how: 101 bytes: 413");
        like($r->{body}, qr{<title>413 Request Entity Too Large</title>},
             "$how: nginx's own 413 page");
        is_deeply($r->{headers}{'content-type'}, ['text/html'],
                  "$how: not an IMS error");
        is($t->upstream_count, $before + 1, "$how: only 100 bytes forwarded");
    }
}

like($t->error_log, qr/client intended to send too large body: 101 bytes/,
     '413 by Content-Length');
like($t->error_log, qr/client intended to send too large chunked body/,
     '413 while reading chunks');
unlike($t->error_log, qr/ims: (rejected|would reject)/,
       'the gateway judged none of them');

$t->stop;

### ims_json_reader: the reference reader, chosen per location

# Both readers reach the same verdict; their words for malformed JSON
# differ, which shows which one judged.
$t = NgxTest->new(config => <<'EOF');
        location / {
            ims_gateway on;
            proxy_pass http://backend;
        }

        location /jansson/ {
            ims_gateway on;
            ims_api_prefix /jansson;
            ims_json_reader jansson;
            proxy_pass http://backend;
        }
EOF

for my $case (['/', 'premature end'],
              ['/jansson/', 'unexpected token near end of file']) {
    my ($prefix, $words) = @$case;
    my $uri = ($prefix eq '/' ? '' : '/jansson') . "/v2/images/$IMAGE_ID";
    my $r = $t->request(method => 'PATCH', uri => $uri, body => '[{"op":',
                        headers => ['Content-Type' => $V21]);
    is(error_code($r), 'IMG.0001', "$prefix: malformed JSON is IMG.0001");
    like(json_body($r)->{error}{message} // '', qr/\Q$words\E/,
         "$prefix: judged by the " . ($prefix eq '/' ? 'stream' : 'jansson')
         . ' reader');

    # a body in a temporary file, and a chunked one, through either reader
    # 900 operations, 35 KB: over the 16k body buffer, under the limit of
    # 1000 operations
    my $big = '[' . join(',', map { op21('add', "/k$_", '"v"') } 1 .. 900)
              . ']';
    for my $chunked (0, 1) {
        $r = $t->request(method => 'PATCH', uri => $uri, body => $big,
                         headers => ['Content-Type' => $V21],
                         $chunked ? (chunked => [700]) : ());
        is($r->{status}, 200, "$prefix: 900 operations accepted"
                              . ($chunked ? ', chunked' : ''));
        is(($t->upstream_requests)[-1]{body}, $big,
           "$prefix: forwarded intact" . ($chunked ? ', chunked' : ''));
    }

    $r = $t->request(method => 'PATCH', uri => $uri,
                     body => '[' . op21('remove', '/__os_bit') . ']',
                     headers => ['Content-Type' => $V21]);
    is(error_code($r), 'IMG.0105', "$prefix: a system attribute, IMG.0105");
}

$t->stop;

done_testing;
