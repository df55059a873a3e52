DROP TABLE unrecorded_calls;
