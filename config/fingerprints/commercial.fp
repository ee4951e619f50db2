# Products that cannot run here (no Debian package, or closed appliances and
# services): rules written from publicly documented transcripts and source
# code, each citing where its replies come from (format: docs/FINGERPRINTS.md).
# Only replies a source shows are used; where a source shows too few
# non-banner replies for the engine's "2 non-banner observations" bar, the
# rule can still only say "unknown" - by design, never a guess.

rule exchange
vendor Microsoft
product Microsoft Exchange
family commercial-mta
# Sources:
# - Microsoft, "Use Telnet to test SMTP communication on Exchange servers"
#   (Exchange 2007/2010; TechNet bb123686, mirrored at
#   http://netsec.pro/dokuwiki/doku.php?id=usetelnettotestsmtpcommunication):
#   "220 mail1.fabrikam.com Microsoft ESMTP MAIL Service ready at
#   <day-date-time>", "250 mail1.fabrikam.com Hello [<sourceIPaddress>]",
#   "500 5.3.3 Unrecognized command" for unrecognized commands or syntax
#   errors, "221 2.0.0 Service closing transmission channel".
# - Exchange 2003 (IIS SMTP + Exchange event sinks), EHLO transcript at
#   https://www.computerperformance.co.uk/exchange-2003/smtp-ts/ and
#   http://www.asupport.com/help/SMTPCommandlineTesting.html: banner
#   "220 HOST Microsoft ESMTP MAIL Service, ...", "250 HOST Hello [10.10.1.1]",
#   "250-X-EXPS GSSAPI NTLM LOGIN", "250-X-LINK2STATE", "250-XEXCH50", "250 OK".
# - Microsoft, "SMTP extensions for Exchange Server 2007" (TechNet dd535395):
#   XEXCH50, X-EXPS, X-LINK2STATE are Exchange's own EHLO keywords.
when banner 5 /^220 \S+ Microsoft ESMTP MAIL Service\b/
when ehlo 3 /^250[ -]\S+ Hello \[[0-9a-fA-F.:]+\]$/
when ehlo 3 /^250-(XEXCH50|X-LINK2STATE|X-EXPS\b)/
when unknown 5 /^500 5\.3\.3 Unrecognized command\b/
when nul 3 /^500 5\.3\.3 Unrecognized command\b/
when quit 4 /^221 2\.0\.0 Service closing transmission channel$/
when quit2 1 /^221 2\.0\.0 Service closing transmission channel$/
example banner 220 mail1.fabrikam.com Microsoft ESMTP MAIL Service ready at Thu, 1 Jan 2026 00:00:00 +0000
example banner 220 ALAN.CP.com Microsoft ESMTP MAIL Service, Version: 6.0.3790.3959 ready
example ehlo 250 mail1.fabrikam.com Hello [192.0.2.10]
example ehlo 250-MAIL.ASUPPORT.com Hello [10.10.1.1]\n250-TURN\n250-SIZE\n250-ETRN\n250-PIPELINING\n250-DSN\n250-ENHANCEDSTATUSCODES\n250-8bitmime\n250-BINARYMIME\n250-CHUNKING\n250-VRFY\n250-X-EXPS GSSAPI NTLM LOGIN\n250-X-EXPS=LOGIN\n250-AUTH GSSAPI NTLM LOGIN\n250-AUTH=LOGIN\n250-X-LINK2STATE\n250-XEXCH50\n250 OK
example unknown 500 5.3.3 Unrecognized command
example quit 221 2.0.0 Service closing transmission channel

rule qmail
vendor D. J. Bernstein (netqmail, notqmail)
product qmail
family open-source-mta
# Not packaged in Debian 12.  Source: qmail-smtpd.c of qmail 1.03 as kept by
# notqmail (github notqmail/notqmail, qmail-smtpd.c): greeting "220 <me>
# ESMTP"; EHLO "250-<me>" + "250-PIPELINING" + "250 8BITMIME"; HELP "214
# qmail home page: http://pobox.com/~djb/qmail.html" (notqmail: "214
# notqmail home page: https://notqmail.org"); RCPT before MAIL "503 MAIL first
# (#5.5.1)"; any other verb "502 unimplemented (#5.5.1)"; MAIL with an
# unterminated <address "250 ok" (addrparse takes it); NOOP of any length
# "250 ok" (no line limit); QUIT "221 <me>".  Patched qmails (TLS, AUTH)
# add EHLO lines but keep these wordings.
when help 6 /^214 (not)?qmail home page: /
when rcpt_first 5 /^503 MAIL first \(#5\.5\.1\)$/
when unknown 5 /^502 unimplemented \(#5\.5\.1\)$/
when nul 3 /^502 unimplemented \(#5\.5\.1\)$/
when mail_bad 2 /^250 ok$/
when long 1 /^250 ok$/
when ehlo 2 /^250-\S+\n250-PIPELINING\n250 8BITMIME$/
example help 214 qmail home page: http://pobox.com/~djb/qmail.html
example help 214 notqmail home page: https://notqmail.org
example rcpt_first 503 MAIL first (#5.5.1)
example unknown 502 unimplemented (#5.5.1)
example nul 502 unimplemented (#5.5.1)
example mail_bad 250 ok
example ehlo 250-mx.example.org\n250-PIPELINING\n250 8BITMIME

rule cisco-esa
vendor Cisco (IronPort)
product Cisco Email Security Appliance (IronPort AsyncOS)
family appliance
# Sources: Cisco, "ESMTP Commands Supported by the ESA and CES" (doc 214630,
# https://www.cisco.com/c/en/us/support/docs/security/email-security-appliance/214630-esmtp-commands-supported-by-the-esa-ces.html):
# banner "220 C680.lab.test ESMTP", EHLO "250-C680.lab.test" "250-8BITMIME"
# "250 SIZE 10485760", HELP "214-The following commands are recognized"
# "214- auth data ehlo helo" "214- help mail noop quit" "214 rcpt rset vrfy",
# unsupported commands "500 #5.5.1 command not recognized", after 5 bad
# commands "421 Exceeded bad SMTP command limit, disconnecting.".  Cisco,
# "Use telnet to test SMTP on the ESA" (doc 118234): "221 my_esa.local",
# reply list "500 Line too long".
when help 6 /^214-The following commands are recognized$/
when unknown 5 /^500 #5\.5\.1 command not recognized$/
when nul 3 /^500 #5\.5\.1 command not recognized$/
when long 2 /^500 Line too long$/
when ehlo 2 /^250-8BITMIME\n250 SIZE \d+$/
example help 214-The following commands are recognized\n214- auth data ehlo helo\n214- help mail noop quit\n214 rcpt rset vrfy
example unknown 500 #5.5.1 command not recognized
example long 500 Line too long
example ehlo 250-C680.lab.test\n250-8BITMIME\n250 SIZE 10485760

rule cisco-pix-mailguard
vendor Cisco
product Cisco PIX/ASA SMTP fixup (Mailguard) in front of the server
family appliance
# Sources: Cisco, "Testing the PIX Firewall Mailguard Feature" (doc 4733,
# http://www.cisco.com/c/en/us/support/docs/security/pix-500-series-security-appliances/4733-22.html):
# only HELO MAIL RCPT DATA RSET NOOP QUIT pass, "the PIX responds with an OK
# even to denied commands"; AppRiver KB a238 (Cisco PIX/ASA Mailguard): the
# banner becomes asterisks except the 2 and 0 characters ("220 ****0***...");
# cisco-nsp list, 2004-11 (puck.nether.net/pipermail/cisco-nsp/2004-November/014446.html):
# other commands are replaced with NOOP, so the server behind answers OK.
# So EHLO, HELP and an unknown verb all get a bare OK.  The product behind
# stays hidden: this names the firewall, not the MTA.
when banner 5 /^220[ *02]*\*{8}/
when ehlo 3 /^2[05]0 (2\.0\.0 )?(OK|Ok|ok)\b/
when help 3 /^2[05]0 (2\.0\.0 )?(OK|Ok|ok)\b/
when unknown 4 /^2[05]0 (2\.0\.0 )?(OK|Ok|ok)\b/
example banner 220 *********0***************************************************************** ************2*************
example ehlo 250 OK
example help 250 2.0.0 OK
example unknown 250 ok

rule postini
vendor Google (Postini)
product Postini
family hosted-filter
# Source: a telnet transcript to google.com.s9b2.psmtp.com (forum post,
# 2010-12-31) and a verify-email.org API result quoted in a public script
# (emory.edu.s9a1.psmtp.com): "220 Postini ESMTP 244 y6_35_1c0 ready.  CA
# Business and Professions Code Section 17538.45 forbids use of this system
# for unsolicited electronic mail advertisements.", HELO answered "250
# Postini says hello back", MAIL/RCPT "250 Ok".  Only one non-banner reply
# is documented, so on its own this rule stays below the 2-observation bar
# (unknown, with the reason); the service itself closed in 2013-2015.
when banner 5 /^220 Postini ESMTP \d+ \S+ ready\./
when ehlo 5 /^250[ -]Postini says hello back/
example banner 220 Postini ESMTP 244 y6_35_1c0 ready.  CA Business and Professions Code Section 17538.45 forbids use of this system for unsolicited electronic mail advertisements.
example ehlo 250 Postini says hello back
