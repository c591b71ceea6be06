-- The OpenFGA datastore lives in the same PostgreSQL, in its own database.
CREATE DATABASE openfga OWNER soma;
