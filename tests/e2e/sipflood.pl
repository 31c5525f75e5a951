#!/usr/bin/perl
# sipflood.pl: hostile SIP traffic for the end-to-end tests, written
# byte by byte over UDP (no SIP stack in between, so that every header,
# long or wrong, is ours to choose).  Requests are transactions as
# RFC 3261 §17.1 has them: retransmitted over UDP until a final answer
# (Timer E: T1 doubling to T2) or until Timer F (64*T1) says never; a
# final answer to an INVITE is acknowledged (§17.1.1.3).
#
# usage:
#   sipflood.pl soak --target HOST:PORT --uri URI --count N [--window W]
#       N requests without credentials, of every kind in turn (SUBSCRIBE,
#       OPTIONS, each other method of RFC 3261 and its extensions, an
#       unknown method, malformed ones), from one socket.  Prints
#       "sent=N answered=A unanswered=U" and "codes KIND:CODE=COUNT ...".
#   sipflood.pl one --target HOST:PORT --uri URI --method M
#       [--header 'Name: value']... [--contact URI] [--cseq VALUE]
#       One request (any method, any extra headers, any CSeq value, so
#       malformed ones too); prints the final
#       answer as "code=C" and then each header line.
#   sipflood.pl guess --target HOST:PORT --uri URI --user U --tries N
#       N SUBSCRIBEs with a wrong password, each from a fresh UDP port:
#       the challenge is fetched and answered from that port.  Prints the
#       final code of each answered try, one per line.
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use IO::Socket::INET;
use IO::Select;
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(time);

$| = 1;
my $cmd = shift @ARGV // die "usage: sipflood.pl soak|one|guess ...\n";
my %o = (window => 200, count => 1000, tries => 1, method => 'OPTIONS');
my @hdrs;
GetOptionsFromArray(\@ARGV, \%o, 'target=s', 'uri=s', 'count=i',
    'window=i', 'method=s', 'header=s' => \@hdrs, 'contact=s', 'user=s',
    'tries=i', 'cseq=s') or die "sipflood.pl: bad options\n";
my ($thost, $tport) = ($o{target} // '') =~ /^([^:]+):(\d+)$/
    or die "sipflood.pl: --target HOST:PORT\n";
my $uri = $o{uri} // "sip:x\@$thost:$tport";

my $T1 = 0.5;
my $T2 = 4;
my $TF = 64 * $T1;

sub rnd { join '', map { sprintf '%x', int rand 16 } 1 .. shift }

sub sock_new {
	IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
	    LocalPort => 0, PeerAddr => $thost, PeerPort => $tport)
	    or die "sipflood.pl: socket: $!\n";
}

# A request of METHOD; EXTRA header lines; its branch.
sub request {
	my ($s, $method, $branch, $callid, $extra) = @_;
	my $lp = $s->sockport;
	my $contact = $o{contact} // "sip:flood\@127.0.0.1:$lp";
	return "$method $uri SIP/2.0\r\n"
	    . "Via: SIP/2.0/UDP 127.0.0.1:$lp;rport;branch=$branch\r\n"
	    . "Max-Forwards: 70\r\n"
	    . "To: <$uri>\r\n"
	    . "From: <sip:flood\@127.0.0.1>;tag=" . rnd(8) . "\r\n"
	    . "Call-ID: $callid\r\n"
	    . "CSeq: 1 $method\r\n"
	    . "Contact: <$contact>\r\n"
	    . ($extra // '')
	    . "Content-Length: 0\r\n\r\n";
}

sub ack_for {
	my ($s, $req, $resp) = @_;
	my ($to) = $resp =~ /^To:\s*(.*?)\r$/mi;
	my ($via) = $req =~ /^(Via:.*?)\r$/m;
	my ($from) = $req =~ /^(From:.*?)\r$/m;
	my ($cid) = $req =~ /^(Call-ID:.*?)\r$/m;
	return "ACK $uri SIP/2.0\r\n$via\r\nMax-Forwards: 70\r\nTo: $to\r\n"
	    . "$from\r\n$cid\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
}

# The request kinds of a soak, in turn: NAME, method, extra headers,
# or a whole message maker for the malformed ones.
my @KINDS = (
	[ 'SUBSCRIBE', 'SUBSCRIBE', "Event: http-monitor\r\nExpires: 600\r\n" ],
	[ 'OPTIONS', 'OPTIONS', '' ],
	map({ [ $_, $_, '' ] } qw(INVITE BYE CANCEL REGISTER MESSAGE NOTIFY
	    REFER PUBLISH INFO PRACK UPDATE)),
	[ 'UNKNOWN', 'FLOOD', '' ],
	[ 'BADCSEQ', 'SUBSCRIBE', '', sub { $_[0] =~ s/^CSeq: 1 /CSeq: x /m } ],
	[ 'NOCALLID', 'OPTIONS', '', sub { $_[0] =~ s/^Call-ID:.*\r\n//m } ],
);

sub soak {
	my $s = sock_new();
	my $sel = IO::Select->new($s);
	my (%out, %codes);
	my ($next, $answered, $unanswered, $sent) = (0, 0, 0, 0);
	my $n = $o{count};
	my $buf;
	while ($next < $n || %out) {
		while ($next < $n && keys %out < $o{window}) {
			my $k = $KINDS[$next % @KINDS];
			my $br = "z9hG4bK" . rnd(10) . "x$next";
			my $m = request($s, $k->[1], $br, "soak$next-" . rnd(8),
			    $k->[2]);
			$k->[3]->($m) if $k->[3];
			send($s, $m, 0);
			$sent++;
			my $t = time;
			$out{$br} = { msg => $m, kind => $k->[0], t0 => $t,
			    next => $t + $T1, iv => $T1 };
			$next++;
		}
		if ($sel->can_read(0.02)) {
			while (defined recv($s, $buf, 65535, 0) && length $buf) {
				my ($code) = $buf =~ m{^SIP/2\.0 (\d{3}) };
				my ($br) = $buf =~ /;branch=([^;,\s]+)/;
				last if !defined $code;
				next if !defined $br || !$out{$br} || $code < 200;
				my $r = delete $out{$br};
				send($s, ack_for($s, $r->{msg}, $buf), 0)
				    if $r->{msg} =~ /^INVITE /;
				$codes{"$r->{kind}:$code"}++;
				$answered++;
				last if !$sel->can_read(0);
			}
		}
		my $now = time;
		for my $br (keys %out) {
			my $r = $out{$br};
			next if $now < $r->{next};
			if ($now - $r->{t0} > $TF) {
				delete $out{$br};
				$codes{"$r->{kind}:none"}++;
				$unanswered++;
				next;
			}
			send($s, $r->{msg}, 0);
			$r->{iv} = $r->{iv} * 2 > $T2 ? $T2 : $r->{iv} * 2;
			$r->{next} = $now + $r->{iv};
		}
	}
	print "sent=$sent answered=$answered unanswered=$unanswered\n";
	print "codes ", join(' ', map { "$_=$codes{$_}" } sort keys %codes),
	    "\n";
}

# Send MSG from S until a final answer (or Timer F); the answer or undef.
sub transact {
	my ($s, $m) = @_;
	my $sel = IO::Select->new($s);
	my ($iv, $t0, $buf) = ($T1, time);
	my ($br) = $m =~ /;branch=([^;,\s]+)/;
	send($s, $m, 0);
	while (time - $t0 < $TF) {
		if ($sel->can_read($iv)) {
			recv($s, $buf, 65535, 0);
			my ($code) = $buf =~ m{^SIP/2\.0 (\d{3}) };
			my ($b) = $buf =~ /;branch=([^;,\s]+)/;
			next if !defined $code || $code < 200 || ($b // '') ne $br;
			send($s, ack_for($s, $m, $buf), 0) if $m =~ /^INVITE /;
			return $buf;
		}
		send($s, $m, 0);
		$iv = $iv * 2 > $T2 ? $T2 : $iv * 2;
	}
	return undef;
}

sub one {
	my $s = sock_new();
	my $extra = join '', map { "$_\r\n" } @hdrs;
	my $m = request($s, $o{method}, "z9hG4bK" . rnd(12), rnd(16) . '@flood',
	    $extra);
	$m =~ s/^CSeq: .*\r\n/CSeq: $o{cseq}\r\n/m if defined $o{cseq};
	my $r = transact($s, $m);
	if (!defined $r) {
		print "code=none\n";
		return;
	}
	my ($code) = $r =~ m{^SIP/2\.0 (\d{3}) };
	print "code=$code\n";
	for (split /\r\n/, $r) {
		last if $_ eq '';
		print "$_\n";
	}
}

sub guess {
	my $user = $o{user} // 'alice';
	for my $i (1 .. $o{tries}) {
		my $s = sock_new();
		my $cid = rnd(16) . '@guess';
		my $ev = "Event: http-monitor\r\nExpires: 600\r\n";
		my $r = transact($s, request($s, 'SUBSCRIBE', "z9hG4bK" . rnd(12),
		    $cid, $ev));
		my ($code) = ($r // '') =~ m{^SIP/2\.0 (\d{3}) };
		if (($code // 0) != 401) {
			print "try=$i port=", $s->sockport, " code=",
			    $code // 'none', "\n";
			next;
		}
		my ($realm) = $r =~ /realm="([^"]*)"/;
		my ($nonce) = $r =~ /nonce="([^"]*)"/;
		my ($opaque) = $r =~ /opaque="([^"]*)"/;
		my $ha1 = md5_hex("$user:$realm:wrong-$i");
		my $ha2 = md5_hex("SUBSCRIBE:$uri");
		my $cn = rnd(16);
		my $resp = md5_hex("$ha1:$nonce:00000001:$cn:auth:$ha2");
		my $auth = "Authorization: Digest username=\"$user\", "
		    . "realm=\"$realm\", nonce=\"$nonce\", uri=\"$uri\", "
		    . "response=\"$resp\", algorithm=MD5, cnonce=\"$cn\", "
		    . "qop=auth, nc=00000001"
		    . (defined $opaque ? ", opaque=\"$opaque\"" : '') . "\r\n";
		# A fresh port for the answer too: nothing of it is the same.
		$s = sock_new();
		$r = transact($s, request($s, 'SUBSCRIBE', "z9hG4bK" . rnd(12),
		    $cid, $ev . $auth));
		($code) = ($r // '') =~ m{^SIP/2\.0 (\d{3}) };
		print "try=$i port=", $s->sockport, " code=", $code // 'none',
		    "\n";
	}
}

if ($cmd eq 'soak') { soak() }
elsif ($cmd eq 'one') { one() }
elsif ($cmd eq 'guess') { guess() }
else { die "sipflood.pl: unknown command $cmd\n" }
exit 0;
