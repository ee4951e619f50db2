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
