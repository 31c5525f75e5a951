#!/usr/bin/perl
# slowloris.pl: holds many connections to a TLS server from one local
# address, the way an attacker ties up a server, and reports when the
# server closed them.  Used by conns.sh against the real sipcfgd.
#
#   slowloris.pl HOST PORT LOCALADDR SECONDS READYFILE KIND=N...
#
# KIND is
#   idle     TCP connected, nothing sent (not even a ClientHello);
#   dribble  a TLS ClientHello record header, then one byte a second;
#   est      a completed TLS handshake and one request, then kept alive.
# The ready file is written once every connection was tried.  At the end
# (after SECONDS) one line per kind:
#   KIND tried=N open=N closed=N fast=N maxlife=S held=N
# where open is what connected, fast what the server closed within a
# second of connecting, maxlife the longest a closed one lived, and held
# how many were still open a second after the ready file.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);

my ($host, $port, $laddr, $secs, $ready, @kinds) = @ARGV;
die "usage: $0 HOST PORT LOCALADDR SECONDS READYFILE KIND=N...\n"
    unless defined $ready && @kinds;
$SIG{PIPE} = 'IGNORE';
my (%st, @conns);
for my $k (@kinds) {
	my ($kind, $n) = split /=/, $k;
	die "bad kind $k\n" unless $kind =~ /^(idle|dribble|est)$/ && $n =~ /^\d+$/;
	$st{$kind} = { tried => 0, open => 0, closed => 0, fast => 0, maxlife => 0,
	    held => 0 };
	for (1 .. $n) {
		$st{$kind}{tried}++;
		my $s;
		if ($kind eq 'est') {
			require IO::Socket::SSL;
			$s = IO::Socket::SSL->new(PeerHost => $host, PeerPort => $port,
			    LocalAddr => $laddr, SSL_verify_mode => 0,
			    SSL_hostname => 'localhost', Timeout => 5) or next;
			print $s "GET /cfg?sfua-id=urn:uuid:00000000-0000-1000-8000-0000000000ee HTTP/1.1\r\n"
			    . "Host: localhost\r\nConnection: keep-alive\r\n\r\n";
			# Read the answer (headers and a short body) and keep the
			# connection.
			my $buf = '';
			while ($buf !~ /\r\n\r\n.*\n/s) {
				my $r = sysread($s, $buf, 4096, length $buf);
				last unless $r;
			}
		} else {
			$s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
			    LocalAddr => $laddr, Proto => 'tcp', Timeout => 5) or next;
			# A TLS handshake record header (RFC 8446 §5.1): 0x16 0x03 0x01
			# and a length, as the first bytes of a ClientHello.
			syswrite($s, "\x16\x03\x01") if $kind eq 'dribble';
		}
		$st{$kind}{open}++;
		push @conns, { s => $s, kind => $kind, t0 => time, next => time + 1 };
	}
}
open(my $fh, '>', $ready) or die "$ready: $!\n";
close $fh;

my $end = time + $secs;
my $at1 = time + 1;
my $sel = IO::Select->new(map { $_->{s} } @conns);
my %by = map { ($_->{s} + 0) => $_ } @conns;
while ((my $left = $end - time) > 0 && $sel->count) {
	for my $s ($sel->can_read($left < 0.2 ? $left : 0.2)) {
		my $c = $by{$s + 0};
		my $buf;
		my $r = sysread($s, $buf, 65536);
		next if $c->{kind} eq 'est' && $r;	# more of an answer
		next if !defined $r && $!{EAGAIN};
		my $life = time - $c->{t0};
		my $k = $st{$c->{kind}};
		$k->{closed}++;
		$k->{fast}++ if $life < 1;
		$k->{maxlife} = $life if $life > $k->{maxlife};
		$sel->remove($s);
		close $s;
	}
	my $now = time;
	if (defined $at1 && $now >= $at1) {
		$st{$_->{kind}}{held}++ for grep { $sel->exists($_->{s}) } @conns;
		undef $at1;
	}
	for my $c (@conns) {
		next unless $c->{kind} eq 'dribble' && $now >= $c->{next} &&
		    $sel->exists($c->{s});
		syswrite($c->{s}, "\x00");
		$c->{next} = $now + 1;
	}
}
for my $kind (sort keys %st) {
	my $k = $st{$kind};
	printf "%s tried=%d open=%d closed=%d fast=%d maxlife=%.1f held=%d\n",
	    $kind, $k->{tried}, $k->{open}, $k->{closed}, $k->{fast},
	    $k->{maxlife}, $k->{held};
}
