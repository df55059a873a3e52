"""The benchmarks' referrals file (the format `cargo bench --bench queue_and_import` writes),
printed to stdout: python3 benches/referrals_csv.py ROWS [TIMEZONE]

Every row gets TIMEZONE in a `timezone` column when one is given; otherwise the region's."""
import sys

rows = int(sys.argv[1])
zone = sys.argv[2] if len(sys.argv) > 2 else None
regions = ["england", "wales", "scotland", "northern_ireland"]
header = "reference,name,email,phone,region,amount_owed_minor,currency,days_in_arrears,circumstances"
print(header + (",timezone" if zone else ""))
for i in range(rows):
    print(f'B-{i:08},Customer {i},c{i}@example.org,07700 9{i % 100000:05},{regions[i % 4]},'
          f'{1000 + (i * 7919) % 500000},GBP,{i % 720},"Reduced hours, two children"'
          + (f",{zone}" if zone else ""))
