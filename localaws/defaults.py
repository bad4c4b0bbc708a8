"""Names the server and the client agree on. Imports nothing heavy."""

# moto serves requests whose key it does not know from this account.
DEFAULT_ACCOUNT = "123456789012"
REGION = "us-east-1"
# Every seeded account has this role, for AssumeRole and c7n-org.
ROLE_NAME = "custodian"
# AWS documentation example credentials; localaws never sees a real key.
FAKE_ACCESS_KEY = "AKIAI44QH8DHBEXAMPLE"
FAKE_SECRET_KEY = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
