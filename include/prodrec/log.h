/* log.h: err(3)-style logging to stderr (the web server's error log) or syslog. */
#ifndef PRODREC_LOG_H
#define PRODREC_LOG_H

/* log.c */
void	log_init(const char *progname);
void	log_to_syslog(void);
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
