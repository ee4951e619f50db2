# Open source MTAs, learned from the real servers' replies captured in
# tests/fp/fixtures/<server>/ (format: docs/FINGERPRINTS.md).
# Weights: banner 5 at most (banner alone never reaches the threshold of 10);
# a reply wording shared with another product weighs 1.

rule postfix
vendor Postfix project (Wietse Venema)
product Postfix
family open-source-mta
# Postfix 3.7.11, Debian 12, stock config (tests/fp/fixtures/postfix)
when banner 5 /^220 \S+ ESMTP Postfix\b/
when help 4 /^500 5\.5\.2 Error: command not recognized$/
when unknown 3 /^500 5\.5\.2 Error: command not recognized$/
when nul 3 /^500 5\.5\.2 Error: command not recognized$/
when rcpt_first 4 /^503 5\.5\.1 Error: need MAIL command$/
when mail_bad 5 /^501 5\.1\.7 Bad sender address syntax$/
when long 3 /^250 2\.0\.0 Ok$/
when quit 2 /^221 2\.0\.0 Bye$/
when ehlo 1 /^250[ -]ETRN$/
example banner 220 mx.postfix.test ESMTP Postfix
example banner 220 mail.example.org ESMTP Postfix (Debian/GNU)
example help 500 5.5.2 Error: command not recognized
example rcpt_first 503 5.5.1 Error: need MAIL command
example mail_bad 501 5.1.7 Bad sender address syntax
example long 250 2.0.0 Ok
example ehlo 250-mx.postfix.test\n250-PIPELINING\n250-SIZE 10240000\n250-VRFY\n250-ETRN\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250-DSN\n250-SMTPUTF8\n250 CHUNKING

rule aiosmtpd
vendor aio-libs (Python)
product aiosmtpd
family library
# aiosmtpd 1.4.3, Debian 12 python3-aiosmtpd (tests/fp/fixtures/aiosmtpd).
# Python's old stdlib smtpd shares most wordings (weight 1 here); HELP's
# command list and the long-line reply tell them apart.
version banner /^220 \S+ Python SMTP (\d[\w.]*)/
when banner 5 /^220 \S+ Python SMTP \d/
when help 5 /^250 Supported commands: AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY$/
when long 5 /^500 Command line too long$/
when unknown 1 /^500 Error: command "XYZZY" not recognized$/
when nul 1 /^500 Error: command "HE\\0LO" not recognized$/
when rcpt_first 1 /^503 Error: need MAIL command$/
when mail_bad 1 /^250 OK$/
when banner -5 /Python SMTP proxy version/
example banner 220 localhost Python SMTP 1.4.3
example help 250 Supported commands: AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY
example long 500 Command line too long
example unknown 500 Error: command "XYZZY" not recognized
example nul 500 Error: command "HE\0LO" not recognized
example rcpt_first 503 Error: need MAIL command

rule exim
vendor Exim project (University of Cambridge)
product Exim
family open-source-mta
# Exim 4.96, Debian 12 exim4-daemon-light, minimal private config
# (tests/fp/fixtures/exim).  The error wordings are Exim's own source
# strings (smtp_in.c), not the configuration's.
version banner /^220 \S+ ESMTP Exim (\d[\w.]*)/
when banner 5 /^220 \S+ ESMTP Exim \d/
when help 5 /^214-Commands supported:$/
when rcpt_first 5 /^503 sender not yet given$/
when mail_bad 5 /^501 .*: "@" or "\." expected after /
when nul 5 /^501 NUL characters are not allowed in SMTP commands$/
when unknown 3 /^500 unrecognized command$/
when quit 2 /^221 \S+ closing connection$/
when ehlo 2 /^250-\S+ Hello \S+ \[[0-9a-fA-F.:]+\]$/
when ehlo 2 /^250[ -]PIPECONNECT$/
when long 1 /^250 OK$/
example banner 220 mx.exim.test ESMTP Exim 4.96 Mon, 23 Nov 2026 12:18:23 +0000
example help 214-Commands supported:\n214 AUTH STARTTLS HELO EHLO MAIL RCPT DATA BDAT NOOP QUIT RSET HELP
example rcpt_first 503 sender not yet given
example mail_bad 501 <bad: "@" or "." expected after "bad"
example nul 501 NUL characters are not allowed in SMTP commands
example unknown 500 unrecognized command
example quit 221 mx.exim.test closing connection
example ehlo 250-mx.exim.test Hello probe.invalid [127.0.0.1]\n250-SIZE 52428800\n250-8BITMIME\n250-PIPELINING\n250-PIPECONNECT\n250-CHUNKING\n250-STARTTLS\n250-SMTPUTF8\n250 HELP

rule opensmtpd
vendor OpenBSD project
product OpenSMTPD
family open-source-mta
# OpenSMTPD 6.8.0p2, Debian 12 opensmtpd, minimal private smtpd.conf
# (tests/fp/fixtures/opensmtpd).  Its banner text is fixed ("ESMTP
# OpenSMTPD" after the configurable hostname); HELP names it too.
when banner 5 /^220 \S+ ESMTP OpenSMTPD$/
when help 6 /^214-2\.0\.0 This is OpenSMTPD$/
when rcpt_first 5 /^503 5\.5\.1 Invalid command: Command not allowed at this point\.$/
when mail_bad 3 /^553 5\.1\.0 Sender address syntax error$/
when unknown 4 /^500 5\.5\.1 Invalid command: Command unrecognized$/
when nul 3 /^500 5\.5\.1 Invalid command: Command unrecognized$/
when long 5 /^500 5\.5\.4 Invalid command arguments: command does not accept arguments\.$/
when ehlo 1 /^250-\S+ Hello \S+ \[[^\]]+\], pleased to meet you$/
when quit 1 /^221 2\.0\.0 Bye$/
example banner 220 mx.opensmtpd.test ESMTP OpenSMTPD
example help 214-2.0.0 This is OpenSMTPD\n214-2.0.0 To report bugs in the implementation, please contact bugs@openbsd.org\n214-2.0.0 with full details\n214 2.0.0 End of HELP info
example rcpt_first 503 5.5.1 Invalid command: Command not allowed at this point.
example mail_bad 553 5.1.0 Sender address syntax error
example unknown 500 5.5.1 Invalid command: Command unrecognized
example long 500 5.5.4 Invalid command arguments: command does not accept arguments.
example ehlo 250-mx.opensmtpd.test Hello probe.invalid [127.0.0.1], pleased to meet you\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250-SIZE 36700160\n250-DSN\n250 HELP

rule sendmail
vendor Proofpoint (sendmail.org)
product Sendmail
family open-source-mta
# Sendmail 8.17.1.9, Debian 12 sendmail-bin, private sendmail.cf built with
# m4 from sendmail-cf (tests/fp/fixtures/sendmail).  HELP names the version
# even with a generic banner; with an unreadable helpfile it still names
# the product ("HELP not implemented", seen on the first capture run).
version banner /^220 \S+ ESMTP Sendmail (\d[\w.]*)\//
when banner 5 /^220 \S+ ESMTP Sendmail \d/
when help 6 /^214-2\.0\.0 This is sendmail version \d/
when help 4 /^502 5\.3\.0 Sendmail \S+ -- HELP not implemented$/
when rcpt_first 5 /^503 5\.0\.0 Need MAIL before RCPT$/
when mail_bad 5 /^553 5\.0\.0 .*\.\.\. Unbalanced '<'$/
when unknown 4 /^500 5\.5\.1 Command unrecognized: "XYZZY"$/
when nul 4 /^500 5\.5\.1 Command unrecognized: "HE"$/
when quit 2 /^221 2\.0\.0 \S+ closing connection$/
when ehlo 1 /^250-\S+ Hello \S+ \[[^\]]+\], pleased to meet you$/
when ehlo 2 /^250[ -]DELIVERBY\b/
when long 1 /^250 2\.0\.0 OK$/
example banner 220 mx.sendmail.test ESMTP Sendmail 8.17.1.9/8.17.1.9; Mon, 23 Nov 2026 12:22:30 GMT
example help 214-2.0.0 This is sendmail version 8.17.1.9\n214-2.0.0 Topics:
example help 502 5.3.0 Sendmail 8.17.1.9 -- HELP not implemented
example rcpt_first 503 5.0.0 Need MAIL before RCPT
example mail_bad 553 5.0.0 <bad... Unbalanced '<'
example unknown 500 5.5.1 Command unrecognized: "XYZZY"
example nul 500 5.5.1 Command unrecognized: "HE"
example quit 221 2.0.0 mx.sendmail.test closing connection
example ehlo 250-mx.sendmail.test Hello localhost [127.0.0.1], pleased to meet you\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250-EXPN\n250-VERB\n250-8BITMIME\n250-SIZE\n250-DSN\n250-ETRN\n250-AUTH DIGEST-MD5 CRAM-MD5\n250-DELIVERBY\n250 HELP

rule courier
vendor Double Precision, Inc. (Sam Varshavchik)
product Courier MTA
family open-source-mta
# Courier 1.0.16, Debian 12 courier-mta, courieresmtpd under couriertcpd
# with Debian's /etc/courier/esmtpd defaults (tests/fp/fixtures/courier,
# run by tests/fp/servers.py).  Its stock greeting is already anonymous
# ("220 HOST ESMTP", esmtpgreeting changes it), so nothing rests on the
# banner.  Courier answers HELP and every malformed or out-of-sequence
# command with the same "502 ESMTP command error", advertises its own
# XVERP=Courier / XEXDATA extensions, and tarpits errors (TARPIT=1): the
# reply after the second error comes late (`slow`) and the third not
# within the prober's timeout.
when ehlo 5 /^250[ -]XVERP=Courier$/
when ehlo 1 /^250[ -]XEXDATA$/
when help 4 /^502 ESMTP command error$/
when rcpt_first 4 /^502 ESMTP command error$/
when nul 4 /^502 ESMTP command error$/
when quit2 2 /^221 Bye\.$/
when long 1 /^250 Ok$/
when rcpt_first 1 slow
example ehlo 250-mx.courier.test Ok.\n250-XVERP=Courier\n250-XEXDATA\n250-XSECURITY=NONE,STARTTLS\n250-PIPELINING\n250-8BITMIME\n250-SMTPUTF8\n250-SIZE\n250 DSN
example help 502 ESMTP command error
example rcpt_first 502 ESMTP command error
example nul 502 ESMTP command error
example quit2 221 Bye.
example long 250 Ok

rule chasquid
vendor chasquid project (Alberto Bertogli)
product chasquid
family open-source-mta
# chasquid 1.11, Debian 12 chasquid, run by tests/fp/servers.py with a
# self-signed certificate (tests/fp/fixtures/chasquid).  Its EHLO greeting
# and HELP reply are fixed jokes in its source; it hangs up with 421 at the
# third error (so `unknown` answers 421 and `quit` sees the close).
when banner 5 /^220 \S+ ESMTP chasquid$/
when ehlo 5 /^250-\S+ - Your hour of destiny has come\.$/
when help 5 /^214 2\.0\.0 Hoy por ti, ma/
when rcpt_first 4 /^503 5\.5\.1 Sender not yet given$/
when mail_bad 3 /^501 5\.1\.7 Sender address malformed$/
when unknown 3 /^421 4\.5\.0 Too many errors, bye$/
when nul 2 /^500 5\.5\.1 Unknown command$/
when long 4 /^554 error reading command: line too long$/
example banner 220 mx.chasquid.test ESMTP chasquid
example ehlo 250-mx.chasquid.test - Your hour of destiny has come.\n250-8BITMIME\n250-PIPELINING\n250-SMTPUTF8\n250-ENHANCEDSTATUSCODES\n250-SIZE 52428800\n250-STARTTLS\n250 HELP
example help 214 2.0.0 Hoy por ti, mañana por mi
example rcpt_first 503 5.5.1 Sender not yet given
example mail_bad 501 5.1.7 Sender address malformed
example unknown 421 4.5.0 Too many errors, bye
example nul 500 5.5.1 Unknown command
example long 554 error reading command: line too long

rule qpsmtpd
vendor qpsmtpd project (Ask Bjørn Hansen et al.)
product qpsmtpd
family open-source-mta
# qpsmtpd 0.94 (Perl), Debian 12 qpsmtpd, forkserver with Debian's plugin
# list minus the DNS blocklists (tests/fp/fixtures/qpsmtpd, run by
# tests/fp/servers.py).  HELP names it even behind a generic greeting
# (smtpgreeting); check_earlytalker delays the greeting (banner `slow`).
version banner /^220 \S+ ESMTP qpsmtpd (\d[\w.]*) ready/
when banner 5 /^220 \S+ ESMTP qpsmtpd \d/
when help 6 /^214-This is qpsmtpd\b/
when rcpt_first 5 /^503 Use MAIL before RCPT$/
when mail_bad 5 /^501 could not parse your mail from command$/
when quit 3 /^221 \S+ closing connection\. Have a wonderful day\.$/
when ehlo 2 /^250-\S+ Hi \S+ \[[^\]]+\]$/
when unknown 1 /^500 Unrecognized command$/
example banner 220 mx.qpsmtpd.test ESMTP qpsmtpd 0.94 ready; send us your mail, but not your spam.
example help 214-This is qpsmtpd 0.94\n214-See http://smtpd.develooper.com/\n214 To report bugs or send comments, mail to <ask@develooper.com>.
example rcpt_first 503 Use MAIL before RCPT
example mail_bad 501 could not parse your mail from command
example quit 221 mx.qpsmtpd.test closing connection. Have a wonderful day.
example ehlo 250-mx.qpsmtpd.test Hi Unknown [127.0.0.1]\n250-PIPELINING\n250 8BITMIME
example unknown 500 Unrecognized command
