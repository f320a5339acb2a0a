// Shared case information with audited query and copy (数据共享, S3.3.2). (Foundation stub.)
export {};
