// Joint mediation of retried cases (共同调解, S3.1.3). (Foundation stub.)
export {};
