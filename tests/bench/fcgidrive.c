/*
 * fcgidrive.c: a fixed number of FastCGI create requests, one after the
 * other, each on a new connection (as lighttpd sends them), to a prodrec
 * listening on a unix socket.  For the profile: the same requests as the
 * bench's create phase (ids FIRST .. FIRST+COUNT-1 of TAG), so a second run
 * with the same arguments replays them.
 *
 * usage: fcgidrive SOCKET TOKEN SESSION TAG RECORDED_AT FIRST COUNT EXPECT
 * Prints "fcgidrive sent N expected M other K"; exits 1 when an answer was
 * not EXPECT (e.g. 201, 200 or 401) or the transport failed.
 */
#include <signal.h>

#include "fcgiclient.h"

int
main(int argc, char *argv[])
{
	unsigned char	 req[FC_BUF_MAX];
	char		 body[2048];
	unsigned long	 first, count, n, expected = 0, other = 0;
	size_t		 reqlen;
	int		 want, fd, status;

	if (argc != 9) {
		fprintf(stderr, "usage: fcgidrive SOCKET TOKEN SESSION TAG "
		    "RECORDED_AT FIRST COUNT EXPECT\n");
		return 2;
	}
	first = strtoul(argv[6], NULL, 10);
	count = strtoul(argv[7], NULL, 10);
	want = atoi(argv[8]);
	signal(SIGPIPE, SIG_IGN);
	for (n = first; n < first + count; n++) {
		fc_body(body, sizeof(body), argv[3], argv[4], n, argv[5]);
		if ((reqlen = fc_request(req, argv[2], body)) == 0)
			return 2;
		if ((fd = fc_connect(argv[1])) == -1) {
			perror(argv[1]);
			return 1;
		}
		status = fc_exchange(fd, req, reqlen);
		close(fd);
		if (status == want)
			expected++;
		else {
			if (other++ == 0)
				fprintf(stderr, "fcgidrive: request %lu got "
				    "%d, not %d\n", n, status, want);
		}
	}
	printf("fcgidrive sent %lu expected %lu other %lu\n", count, expected,
	    other);
	return other == 0 ? 0 : 1;
}
