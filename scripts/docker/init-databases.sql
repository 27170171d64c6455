-- One database per service plus the operations (dead-letter) database.
CREATE DATABASE orders OWNER choreo;
CREATE DATABASE inventory OWNER choreo;
CREATE DATABASE payments OWNER choreo;
CREATE DATABASE customers OWNER choreo;
CREATE DATABASE notifications OWNER choreo;
CREATE DATABASE choreo_ops OWNER choreo;
