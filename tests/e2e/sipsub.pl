#!/usr/bin/perl
# sipsub.pl: a small RFC 6665 / RFC 5989 subscriber for the end-to-end
# tests, so that sipcfgd's notifier is checked against a SIP stack that is
# not ours (Perl's Net::SIP, used at the Leg/Packet level so that every
# header is ours to choose).
#
# usage: sipsub.pl subscribe --uri URI [options]
#   --uri URI          Request-URI and To of the SUBSCRIBE (the monitor Link)
#   --user U --pass P  Digest credentials (qop=auth, nc, cnonce; computed here)
#   --from URI         From (default sip:U@LOCAL-IP)
#   --expires N        Expires of the SUBSCRIBE (default 600; 0 = fetch)
#   --no-expires       no Expires header in the first SUBSCRIBE
#   --event E          Event header (default http-monitor); --no-event: none
#   --accept A         Accept header (default: none sent)
#   --transport udp|tcp|tls  (default: tls for sips:, else udp)
#   --cafile F         CA for the server's certificate (tls)
#   --cert F --key F   our certificate for the listening TLS socket (tls)
#   --local-ip IP      default 127.0.0.1
#   --wait-notifies K  end after K NOTIFYs (default: no limit)
#   --timeout S        end after S seconds (default 10)
#   --answer-notify L  comma list of codes for the NOTIFYs, in turn; the
#                      last one repeats (default 200)
#   --trace FILE       append every message sent and received to FILE
#   --answer-delay S   answer each NOTIFY S seconds late (default 0)
#   --challenged       send refreshes and unsubscribes without credentials
#                      first (default: the last nonce with the next nc)
#   --contact URI      the Contact of the first SUBSCRIBE (default: our
#                      listening socket); one that does not answer shows
#                      where NOTIFYs really go (a phone behind a NAT)
#   --refresh-contact URI  the Contact of refreshes and unsubscribes
#                      (default: the one of the first SUBSCRIBE)
#
# Signals: USR1 sends an unsubscribe (Expires: 0) in the dialog, USR2 a
# refresh with the original Expires; TERM ends.
#
# Output (stdout), one line per event, fields separated by TABs, each
# field NAME=VALUE:
#   START     contact, call_id, from_tag, proto, local
#   RESPONSE  code, reason, cseq, t, and when present: expires, min_expires,
#             allow_events, accept, www_auth, realm, nonce, qop, algorithm,
#             opaque, stale, proxy_auth, contact, to_tag, retry_after, route
#   NOTIFY    n, t, cseq, proto, src, via, ruri, ruri_ok, contact, event,
#             state, ctype, clen, dialog (ok or what is wrong), answer,
#             and for a message/http body: http (status line), status,
#             etag, cloc, lastmod, cache_control, inner_ctype, inner_clen,
#             inner_body (bytes after the blank line), inner_md5 (of
#             those bytes, when there are any), body_ok
#   NOTIFY-DUP  a retransmitted NOTIFY (same CSeq): answered again
#   ERROR     msg
#   END       reason (terminated|notifies|timeout|final|signal|error),
#             notifies
# Exit status 0 after END, 2 on a usage error.
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(time);
use IO::Socket::INET;
use Socket qw(AF_INET);
use Net::SIP ();
use Net::SIP::Leg;
use Net::SIP::Packet;
use Net::SIP::Request;
use Net::SIP::Response;
use Net::SIP::Util qw(sip_hdrval2parts sip_uri2parts);
use Net::SIP::Dispatcher::Eventloop;

$| = 1;

sub usage {
	print STDERR "usage: sipsub.pl subscribe --uri URI [--user U --pass P]"
	    . " [--expires N] [--event E|--no-event] [--accept A]"
	    . " [--transport udp|tcp|tls] [--cafile F --cert F --key F]"
	    . " [--wait-notifies K] [--timeout S] [--answer-notify 200,481]"
	    . " [--trace FILE]\n";
	exit 2;
}

my $cmd = shift @ARGV // usage();
usage() if $cmd ne 'subscribe';
my %o = (expires => 600, event => 'http-monitor', timeout => 10,
    'answer-notify' => '200', 'local-ip' => '127.0.0.1');
GetOptionsFromArray(\@ARGV, \%o, 'uri=s', 'user=s', 'pass=s', 'from=s',
    'expires=i', 'event=s', 'no-event', 'accept=s', 'transport=s',
    'cafile=s', 'cert=s', 'key=s', 'local-ip=s', 'wait-notifies=i',
    'timeout=f', 'answer-notify=s', 'trace=s', 'challenged', 'answer-delay=f', 'no-expires',
    'refresh-contact=s', 'contact=s') or usage();
usage() if @ARGV || !$o{uri};
my $uri = $o{uri};
my ($target_host, undef, $scheme) = sip_uri2parts($uri);
defined $target_host or die "sipsub: cannot parse URI $uri\n";
my $proto = lc($o{transport} // ($scheme eq 'sips' ? 'tls' : 'udp'));
$proto =~ /^(udp|tcp|tls)$/ or usage();
my @answers = split /,/, $o{'answer-notify'};
my $user = $o{user} // 'monitor';
my $lip = $o{'local-ip'};

my $TRACE;
if ($o{trace}) {
	open($TRACE, '>>', $o{trace}) or die "sipsub: $o{trace}: $!\n";
	$TRACE->autoflush(1);
}
sub trace {
	my ($what, $text) = @_;
	return if !$TRACE;
	printf $TRACE "=== %.3f [%d] %s\n%s\n", time, $$, $what, $text;
}

# One line of output: TYPE then NAME=VALUE fields (no TABs or newlines).
sub out {
	my ($type, @kv) = @_;
	my @f = ($type);
	while (@kv) {
		my ($k, $v) = splice(@kv, 0, 2);
		next if !defined $v;
		$v =~ s/[\t\r\n]+/ /g;
		push @f, "$k=$v";
	}
	print join("\t", @f), "\n";
	trace('OUT', join("\t", @f));
}

# ------------------------------------------------------------ the leg
my $sock;
if ($proto eq 'udp') {
	$sock = IO::Socket::INET->new(Proto => 'udp', LocalAddr => $lip,
	    LocalPort => 0) or die "sipsub: udp socket: $!\n";
} else {
	$sock = IO::Socket::INET->new(Proto => 'tcp', LocalAddr => $lip,
	    LocalPort => 0, Listen => 10, ReuseAddr => 1)
	    or die "sipsub: tcp socket: $!\n";
}
my $lport = $sock->sockport;
my %legargs = (sock => $sock, proto => $proto);
if ($proto eq 'tls') {
	$o{cert} && $o{key} or die "sipsub: tls needs --cert and --key"
	    . " (our listening socket)\n";
	$legargs{tls} = {
		SSL_cert_file => $o{cert},
		SSL_key_file => $o{key},
		$o{cafile} ? (SSL_ca_file => $o{cafile}) : (),
	};
}
my $leg = Net::SIP::Leg->new(%legargs);
my $loop = Net::SIP::Dispatcher::Eventloop->new;
$leg->socketpool->attach_eventloop($loop, [ \&on_packet ]);

my $contact_uri = $proto eq 'tls' ? "sips:$user\@$lip:$lport"
    : $proto eq 'tcp' ? "sip:$user\@$lip:$lport;transport=tcp"
    : "sip:$user\@$lip:$lport";
my $from_uri = $o{from} // "sip:$user\@$lip";
my $first_contact = $o{contact} // $contact_uri;

sub rnd { my $n = shift; join '', map { sprintf '%x', int rand 16 } 1 .. $n }
my %dlg = (
	call_id => rnd(24) . "\@$lip",
	local_tag => rnd(12),
	remote_tag => undef,
	remote_target => $uri,
	cseq => 0,
	remote_cseq => undef,
	expires => $o{expires},
);
out('START', contact => "<$contact_uri>", call_id => $dlg{call_id},
    from_tag => $dlg{local_tag}, proto => $proto, local => "$lip:$lport");

# ------------------------------------------------------------ digest
my %auth;	# realm, nonce, opaque, qop, algorithm, nc

sub parse_challenge {
	my $v = shift;
	$v =~ s/^\s*(\S+)\s+//;
	my %p = (scheme => $1);
	while ($v =~ /\G\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/gc) {
		my $val = defined $2 ? $2 : $3;
		$val =~ s/\\(.)/$1/g;
		$p{lc $1} = $val;
	}
	return \%p;
}

sub authorization {
	my ($method, $ruri) = @_;
	return if !$auth{nonce} || !defined $o{pass};
	my $ha1 = md5_hex("$user:$auth{realm}:$o{pass}");
	my $ha2 = md5_hex("$method:$ruri");
	my @qop = split /\s*,\s*/, $auth{qop} // '';
	my $h = "Digest username=\"$user\", realm=\"$auth{realm}\", "
	    . "nonce=\"$auth{nonce}\", uri=\"$ruri\"";
	if (grep { $_ eq 'auth' } @qop) {
		my $nc = sprintf '%08x', ++$auth{nc};
		my $cnonce = rnd(16);
		my $resp = md5_hex("$ha1:$auth{nonce}:$nc:$cnonce:auth:$ha2");
		$h .= ", response=\"$resp\", algorithm=MD5, cnonce=\"$cnonce\","
		    . " qop=auth, nc=$nc";
	} else {
		$h .= ", response=\"" . md5_hex("$ha1:$auth{nonce}:$ha2")
		    . "\", algorithm=MD5";
	}
	$h .= ", opaque=\"$auth{opaque}\"" if defined $auth{opaque};
	return $h;
}

# ------------------------------------------------------------ sending
my %tx;		# "cseq" => { pkt, dst, timer, final, authed, expires }
my $end;	# set to the END reason
my $notifies = 0;

sub dst_of_uri {
	my $u = shift;
	$u =~ s/^\s*<(.*)>.*$/$1/;
	my ($hostport) = sip_uri2parts($u);
	my ($host, $port) = $hostport =~ /^\[(.*)\](?::(\d+))?$/
	    ? ($1, $2) : split(/:/, $hostport, 2);
	$port ||= $u =~ /^sips:/i ? 5061 : 5060;
	return { host => $host, addr => $host, port => $port,
	    family => AF_INET };
}

# A packet from its start line, [ name, value ] pairs and body, written
# with the header names exactly as given.
sub message {
	my ($start, $h, $body) = @_;
	return Net::SIP::Packet->new_from_string(join('', "$start\r\n",
	    map({ "$_->[0]: $_->[1]\r\n" } @$h), "\r\n", $body));
}

sub send_subscribe {
	my ($expires, $noauth) = @_;
	my $cseq = ++$dlg{cseq};
	my $ruri = $dlg{remote_target};
	my $to = "<$uri>" . (defined $dlg{remote_tag}
	    ? ";tag=$dlg{remote_tag}" : '');
	my @h = (
		[ 'Max-Forwards' => 70 ],
		[ 'To' => $to ],
		[ 'From' => "<$from_uri>;tag=$dlg{local_tag}" ],
		[ 'Call-ID' => $dlg{call_id} ],
		[ 'CSeq' => "$cseq SUBSCRIBE" ],
		[ 'Contact' => '<' . (defined $dlg{remote_tag}
		    && $o{'refresh-contact'} || $first_contact) . '>' ],
		$o{'no-event'} ? () : [ 'Event' => $o{event} ],
		defined $o{accept} ? [ 'Accept' => $o{accept} ] : (),
		($o{'no-expires'} && !defined $dlg{remote_tag}) ? ()
		    : [ 'Expires' => $expires ],
		[ 'User-Agent' => "sipsub.pl (Net::SIP $Net::SIP::VERSION)" ],
	);
	my $authz = $noauth ? undef : authorization('SUBSCRIBE', $ruri);
	push @h, [ 'Authorization' => $authz ] if $authz;
	push @h, [ 'Content-Length' => 0 ];
	my $req = message("SUBSCRIBE $ruri SIP/2.0", \@h, '');
	$leg->add_via($req);
	my $dst = $dlg{remote_tag} ? dst_of_uri($ruri) : dst_of_uri($uri);
	my ($v) = $req->get_header('via');
	my (undef, $vp) = sip_hdrval2parts(via => $v);
	my $t = $tx{$cseq} = { pkt => $req, dst => $dst, authed => !!$authz,
	    expires => $expires, interval => 0.5, branch => $vp->{branch} };
	xmit($t, "SUBSCRIBE cseq=$cseq");
	arm_timer_e($t, $cseq) if $proto eq 'udp';
	return $t;
}

# RFC 3261 17.1.2.2, timer E: retransmit at T1, 2*T1, ... up to T2.
sub arm_timer_e {
	my ($t, $cseq) = @_;
	$t->{timer} = $loop->add_timer(time + $t->{interval}, sub {
		return if $t->{final};
		$t->{interval} = 4 if ($t->{interval} *= 2) > 4;
		xmit($t, "retransmit SUBSCRIBE cseq=$cseq");
		arm_timer_e($t, $cseq);
	});
}

sub xmit {
	my ($t, $what) = @_;
	trace("SEND $what to $t->{dst}{addr}:$t->{dst}{port}/$proto",
	    $t->{pkt}->as_string);
	$leg->sendto($t->{pkt}, $t->{dst}, sub {
		my $err = shift;
		return if !$err;
		out('ERROR', msg => "sending to $t->{dst}{addr}:$t->{dst}{port}"
		    . " over $proto failed: $err");
		$end //= 'error';
	});
}

# ------------------------------------------------------------ receiving
sub hdr {
	my ($pkt, @names) = @_;
	for my $n (@names) {
		my @v = $pkt->get_header($n);
		return join(', ', @v) if @v;
	}
	return undef;
}

sub tag_of {
	my $v = shift // return undef;
	my (undef, $p) = sip_hdrval2parts(to => $v);
	return $p->{tag};
}

sub on_packet {
	my ($pkt, $from) = @_;
	my $src = "$from->{addr}:$from->{port}";
	trace("RECV from $src/$from->{proto}", $pkt->as_string);
	if ($pkt->is_response) {
		on_response($pkt, $from);
	} elsif ($pkt->method eq 'NOTIFY') {
		on_notify($pkt, $from);
	} elsif ($pkt->method ne 'ACK') {
		out('REQUEST', method => $pkt->method, src => $src);
		answer($pkt, $from, 405, [ [ 'Allow' => 'NOTIFY' ] ]);
	}
}

sub on_response {
	my ($r, $from) = @_;
	my ($num) = ($r->cseq // '') =~ /^(\d+)/;
	my $t = defined $num ? $tx{$num} : undef;
	my $code = $r->code;
	if (!$t || $r->method ne 'SUBSCRIBE') {
		out('RESPONSE', code => $code, reason => $r->msg,
		    cseq => $r->cseq, stray => 1);
		return;
	}
	return if $t->{final};	# a retransmission of the final response
	my ($via) = $r->get_header('via');
	my (undef, $vp) = sip_hdrval2parts(via => $via // '');
	my $www = hdr($r, 'www-authenticate');
	my $ch = $www ? parse_challenge($www) : {};
	out('RESPONSE', code => $code, reason => $r->msg, cseq => $r->cseq,
	    t => sprintf('%.3f', time),
	    via_ok => (($vp->{branch} // '') eq $t->{branch} ? 1 : 0),
	    expires => hdr($r, 'expires'),
	    min_expires => hdr($r, 'min-expires'),
	    allow_events => hdr($r, 'allow-events', 'u'),
	    accept => hdr($r, 'accept'),
	    www_auth => $www,
	    realm => $ch->{realm}, nonce => $ch->{nonce}, qop => $ch->{qop},
	    algorithm => $ch->{algorithm}, opaque => $ch->{opaque},
	    stale => $ch->{stale},
	    proxy_auth => hdr($r, 'proxy-authenticate'),
	    contact => hdr($r, 'contact'),
	    to_tag => tag_of(scalar $r->get_header('to')),
	    retry_after => hdr($r, 'retry-after'),
	    route => hdr($r, 'record-route'));
	return if $code < 200;
	$t->{final} = 1;
	$t->{timer}->cancel if $t->{timer};
	if ($code == 401 && $www && defined $o{pass}
	    && (!$t->{authed} || lc($ch->{stale} // '') eq 'true'
		|| ($t->{preemptive} && !$t->{retried}))) {
		%auth = (realm => $ch->{realm}, nonce => $ch->{nonce},
		    opaque => $ch->{opaque}, qop => $ch->{qop}, nc => 0);
		send_subscribe($t->{expires})->{retried} = 1;
		return;
	}
	if ($code >= 200 && $code < 300) {
		my $tag = tag_of(scalar $r->get_header('to'));
		$dlg{remote_tag} //= $tag;
		if (my $c = hdr($r, 'contact')) {
			$c =~ s/^[^<]*<([^>]*)>.*$/$1/;
			$dlg{remote_target} = $c;
		}
		return;
	}
	# Any other final response ends a subscription attempt; a failed
	# refresh or unsubscribe also ends the dialog here.
	$end //= 'final';
}

my %REASON = (200 => 'OK', 404 => 'Not Found', 405 => 'Method Not Allowed',
    408 => 'Request Timeout', 410 => 'Gone', 480 => 'Temporarily Unavailable',
    481 => 'Call/Transaction Does Not Exist', 489 => 'Bad Event',
    500 => 'Server Internal Error', 503 => 'Service Unavailable');
my %answered;	# remote cseq => [ our answer code ]

sub answer {
	my ($req, $from, $code, $hdrs) = @_;
	my @h = ((map { [ 'Via' => $_ ] } $req->get_header('via')),
	    map({ [ $_->[0] => scalar $req->get_header($_->[1]) ] }
		[ 'From', 'from' ], [ 'To', 'to' ], [ 'Call-ID', 'call-id' ],
		[ 'CSeq', 'cseq' ]),
	    @{ $hdrs // [] },
	    [ 'Content-Length' => 0 ]);
	my $resp = message("SIP/2.0 $code " . ($REASON{$code} // 'Answer'),
	    \@h, '');
	# RFC 3261 18.2.2: over UDP to the top Via's received/rport/sent-by.
	my ($via) = $req->get_header('via');
	my ($vdata, $vp) = sip_hdrval2parts(via => $via // '');
	my ($sentby) = ($vdata // '') =~ m{^SIP/2\.0/\w+\s+(\S+)};
	my $dst = { %$from };
	if ($from->{proto} eq 'udp' && $sentby) {
		my ($h, $p) = $sentby =~ /^\[(.*)\](?::(\d+))?$/
		    ? ($1, $2) : split(/:/, $sentby, 2);
		$h = $vp->{received} if $vp->{received};
		$p = $vp->{rport} if $vp->{rport};
		$dst = { host => $h, addr => $h, port => $p || 5060,
		    family => AF_INET };
	}
	trace("SEND $code to $dst->{addr}:$dst->{port}/$from->{proto}",
	    $resp->as_string);
	$leg->sendto($resp, $dst);
}

sub on_notify {
	my ($n, $from) = @_;
	my $cseq = $n->cseq // '';
	my ($num) = $cseq =~ /^(\d+)/;
	my $callid = $n->callid // '';
	my $ftag = tag_of(scalar $n->get_header('from'));
	my $ttag = tag_of(scalar $n->get_header('to'));
	if ($callid eq $dlg{call_id} && defined $num && $answered{$num}) {
		my ($code) = @{ $answered{$num} };
		out('NOTIFY-DUP', cseq => $cseq, answer => $code,
		    t => sprintf('%.3f', time));
		answer($n, $from, $code,
		    $code == 200 ? [ [ 'Contact' => "<$contact_uri>" ] ] : []);
		return;
	}
	my @bad;
	push @bad, 'call-id' if $callid ne $dlg{call_id};
	push @bad, 'to-tag' if ($ttag // '') ne $dlg{local_tag};
	push @bad, 'from-tag' if !defined $ftag
	    || (defined $dlg{remote_tag} && $ftag ne $dlg{remote_tag});
	push @bad, 'cseq-order' if defined $dlg{remote_cseq} && defined $num
	    && $num <= $dlg{remote_cseq};
	my $code = @answers > 1 ? shift @answers : $answers[0];
	$code = 481 if grep { $_ ne 'cseq-order' } @bad;
	$code = 500 if $code == 200 && @bad;
	if (!@bad) {
		$dlg{remote_tag} //= $ftag;
		$dlg{remote_cseq} = $num;
		if (my $c = hdr($n, 'contact')) {
			$c =~ s/^[^<]*<([^>]*)>.*$/$1/;
			$dlg{remote_target} = $c;
		}
	}
	$notifies++;

	# The message/http body: status line, headers, blank line, body.
	my $body = ($n->as_parts)[3] // '';
	my %b;
	my $ctype = hdr($n, 'content-type');
	if ($body ne '') {
		my ($head, $rest) = split /\r?\n\r?\n/, $body, 2;
		my @l = split /\r?\n/, $head;
		$b{http} = shift @l;
		($b{status}) = ($b{http} // '') =~ m{^HTTP/\d\.\d (\d{3})};
		for (@l) {
			my ($k, $v) = /^([^:\s]+)\s*:\s*(.*)$/ or next;
			$b{lc $k} //= $v;
		}
		$b{inner_body} = defined $rest ? length $rest : undef;
		$b{inner_md5} = md5_hex($rest) if defined $rest && $rest ne '';
		$b{body_ok} = defined $rest ? 1 : 0;   # blank line present
	}
	my $sipclen = hdr($n, 'content-length');
	my $ruri = $n->uri;
	(my $r0 = $ruri) =~ s/^<(.*)>$/$1/;
	my $resp_code = $code;
	my @extra = $resp_code == 200 ? ([ 'Contact' => "<$contact_uri>" ]) : ();
	if ($o{'answer-delay'}) {
		$loop->add_timer(time + $o{'answer-delay'},
		    sub { answer($n, $from, $resp_code, \@extra) });
	} else {
		answer($n, $from, $resp_code, \@extra);
	}
	$answered{$num} = [ $resp_code ] if defined $num;
	my $state = hdr($n, 'subscription-state');
	out('NOTIFY', n => $notifies, t => sprintf('%.3f', time),
	    cseq => $cseq, proto => $from->{proto},
	    src => "$from->{addr}:$from->{port}",
	    via => hdr($n, 'via'), ruri => $ruri,
	    ruri_ok => (lc($r0) eq lc($first_contact) ? 1 : 0),
	    contact => hdr($n, 'contact'),
	    event => hdr($n, 'event', 'o'),
	    state => $state,
	    ctype => $ctype,
	    clen => $sipclen,
	    clen_ok => (defined $sipclen && $sipclen == length($body) ? 1 : 0),
	    dialog => (@bad ? join(',', @bad) : 'ok'),
	    answer => $resp_code,
	    http => $b{http}, status => $b{status}, etag => $b{etag},
	    cloc => $b{'content-location'}, lastmod => $b{'last-modified'},
	    cache_control => $b{'cache-control'},
	    inner_ctype => $b{'content-type'},
	    inner_clen => $b{'content-length'},
	    inner_body => $b{inner_body}, inner_md5 => $b{inner_md5},
	    body_ok => $b{body_ok});
	if (!@bad && ($state // '') =~ /^\s*terminated/i) {
		$end //= 'terminated';
	} elsif ($o{'wait-notifies'} && $notifies >= $o{'wait-notifies'}) {
		$end //= 'notifies';
	}
}

# ------------------------------------------------------------ main loop
my $want = '';
$SIG{USR1} = sub { $want = 'unsubscribe' };
$SIG{USR2} = sub { $want = 'refresh' };
$SIG{TERM} = $SIG{INT} = sub { $end //= 'signal' };

send_subscribe($o{expires});
my $deadline = time + $o{timeout};
while (!defined $end) {
	my $left = $deadline - time;
	if ($left <= 0) { $end = 'timeout'; last }
	$loop->loop($left, \$end, \$want);
	if ($want) {
		my $w = $want;
		$want = '';
		if (!defined $dlg{remote_tag}) {
			out('ERROR', msg => "$w before the dialog exists");
			next;
		}
		my $t = send_subscribe($w eq 'unsubscribe' ? 0 : $dlg{expires},
		    $o{challenged});
		$t->{preemptive} = 1;
	}
}
# A NOTIFY may overtake the final response to the SUBSCRIBE it follows:
# wait a little for that response; and let the answer to a last NOTIFY
# leave over TCP/TLS before we close.
my $grace = time + 2;
while ($end ne 'signal' && $end ne 'timeout' && time < $grace
    && grep { !$_->{final} } values %tx) {
	$loop->loop(0.05);
}
$loop->loop($o{'answer-delay'} + 0.05) if $o{'answer-delay'};
$loop->loop(0.1) if $proto ne 'udp';
out('END', reason => $end, notifies => $notifies);
exit 0;
