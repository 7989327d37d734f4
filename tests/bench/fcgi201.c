/*
 * fcgi201.c: the web ceiling's responder.  The least a libfcgi program can
 * do for the bench's POST: pre-fork PRODREC_WORKERS workers (default: the
 * number of CPUs) that accept on the socket the web server passes on fd 0,
 * read the whole body and answer a fixed 201 JSON of the size prodrec's is.
 * Like prodrec, it closes connections without libfcgi's lingering wait
 * (LIBFCGI_OS_CLOSE_POLL_TIMEOUT=0 unless set), so both pay the same.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

static const char body[] =
    "{\"status\":\"success\",\"data\":{\"payloadPreview\":{\"recordId\":"
    "\"rec_0123456789abcdef\",\"sessionId\":\"6507f1e3c9d8e2a4b1f9c3d5\","
    "\"workerId\":\"b0-0000001\",\"units\":5},\"idempotent\":false}}";

static char	answer[512];	/* head + body, made once */
static int	answer_len;

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* One worker: accept, drain the body, answer; until the master goes. */
static void
serve(void)
{
	FCGX_Request	req;
	char		buf[4096];

	if (FCGX_InitRequest(&req, 0, 0) != 0)
		_exit(1);
	while (!stopping && FCGX_Accept_r(&req) >= 0) {
		while (FCGX_GetStr(buf, sizeof(buf), req.in) > 0)
			;
		FCGX_PutStr(answer, answer_len, req.out);
		FCGX_Finish_r(&req);
	}
	_exit(0);
}

int
main(void)
{
	const char	*w = getenv("PRODREC_WORKERS");
	long		 n = w != NULL && *w != '\0' ? atol(w) :
			    sysconf(_SC_NPROCESSORS_ONLN);
	pid_t		 kids[256];
	long		 i, started = 0;
	struct sigaction sa;

	answer_len = snprintf(answer, sizeof(answer),
	    "Status: 201 Created\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "Location: /api/control/production/records/rec_0123456789abcdef\r\n"
	    "\r\n%s", sizeof(body) - 1, body);
	if (setenv("LIBFCGI_OS_CLOSE_POLL_TIMEOUT", "0", 0) == -1 ||
	    FCGX_Init() != 0)
		return 1;
	if (n <= 0)
		serve();
	if (n > 256)
		n = 256;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			serve();
		}
		if (pid > 0)
			kids[started++] = pid;
	}
	/* The master only waits: a stop signal goes on to the workers. */
	while (!stopping && wait(NULL) > 0)
		;
	for (i = 0; i < started; i++)
		kill(kids[i], SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}
