#!/usr/bin/perl
# syncphone.pl: a phone that takes legacy check-sync NOTIFYs, on Perl's
# Net::SIP (not our code).  Like a Snom with challenge_checksync or a
# Cisco SPA, it challenges every NOTIFY without credentials with a 401,
# checks the Digest against the line's password, answers 200, and prints
# one line per NOTIFY:
#   CHALLENGED event=...
#   NOTIFY event=... state=... auth=ok|none cl=... to=... ruri=...
# usage: syncphone.pl --port P --realm R --user U --pass PW
#            [--no-challenge] [--count N] [--timeout S] [--drop N]
# --drop N: ignore the first N NOTIFYs (to test the sender's retries).
use strict;
use warnings;
use Getopt::Long;
use IO::Socket::INET;
use Digest::MD5 qw(md5_hex);
use Net::SIP::Leg;
use Net::SIP::Packet;
use Net::SIP::Dispatcher::Eventloop;

my %o = (timeout => 30, count => 0, drop => 0);
GetOptions(\%o, 'port=i', 'realm=s', 'user=s', 'pass=s', 'no-challenge',
    'count=i', 'timeout=f', 'drop=i') or die "syncphone: bad options\n";
defined $o{$_} or die "syncphone: --$_ needed\n" for qw(port realm user pass);
$| = 1;

my $sock = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
    LocalPort => $o{port}) or die "syncphone: udp $o{port}: $!\n";
my $leg = Net::SIP::Leg->new(sock => $sock, proto => 'udp');
my $loop = Net::SIP::Dispatcher::Eventloop->new;
$leg->socketpool->attach_eventloop($loop, [ \&on_packet ]);
print "READY port=$o{port}\n";

my (%nonces, $stop);
my ($seen, $taken) = (0, 0);

sub params {
	my $v = shift;
	$v =~ s/^\s*Digest\s+//i;
	my %p;
	while ($v =~ /\G\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/gc) {
		$p{lc $1} = defined $2 ? $2 : $3;
	}
	return %p;
}

sub reply {
	my ($req, $from, $code, $msg, %h) = @_;
	my $resp = $req->create_response($code, $msg, \%h);
	$leg->sendto($resp, $from);
}

sub on_packet {
	my ($pkt, $from) = @_;
	return if $pkt->is_response;
	if ($pkt->method ne 'NOTIFY') {
		reply($pkt, $from, 405, 'Method Not Allowed') if $pkt->method ne 'ACK';
		return;
	}
	my $ev = $pkt->get_header('event') // '';
	if ($seen++ < $o{drop}) {
		print "DROPPED event=$ev\n";
		return;
	}
	my $auth = $pkt->get_header('authorization');
	my $st = 'none';
	if (!$auth && !$o{'no-challenge'}) {
		my $nonce = sprintf '%08x%08x', rand(2**32), rand(2**32);
		$nonces{$nonce} = 1;
		reply($pkt, $from, 401, 'Unauthorized', 'www-authenticate' =>
		    qq{Digest realm="$o{realm}", nonce="$nonce", qop="auth", algorithm=MD5});
		print "CHALLENGED event=$ev\n";
		return;
	}
	if ($auth) {
		my %p = params($auth);
		my $ha1 = md5_hex("$o{user}:$o{realm}:$o{pass}");
		my $ha2 = md5_hex("NOTIFY:" . ($p{uri} // ''));
		my $want = $p{qop}
		    ? md5_hex("$ha1:$p{nonce}:$p{nc}:$p{cnonce}:$p{qop}:$ha2")
		    : md5_hex("$ha1:$p{nonce}:$ha2");
		if (($p{username} // '') ne $o{user} || !$nonces{$p{nonce} // ''}
		    || $want ne ($p{response} // '')) {
			reply($pkt, $from, 403, 'Forbidden');
			print "REFUSED event=$ev\n";
			return;
		}
		$st = 'ok';
	}
	reply($pkt, $from, 200, 'OK');
	printf "NOTIFY event=%s state=%s auth=%s cl=%s to=%s ruri=%s\n", $ev,
	    $pkt->get_header('subscription-state') // '', $st,
	    $pkt->get_header('content-length') // '', $pkt->get_header('to') // '',
	    $pkt->uri;
	$stop = 1 if $o{count} && ++$taken >= $o{count};
}

$loop->loop($o{timeout}, \$stop);
print "END\n";
