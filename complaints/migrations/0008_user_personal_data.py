"""Consumers' phone numbers, ID numbers and addresses encrypted at rest (PIPL).

`phone` becomes an encrypted text column (complaints/encryption.py) beside the keyed
lookup hash `phone_hash`; `id_number` and `address` are new, encrypted from the
start. The next migration encrypts the phone numbers already stored.
"""

from django.db import migrations, models

import complaints.fields
import complaints.models.parties


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0007_complaint_platform_queue"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", complaints.models.parties.UserManager()),
            ],
        ),
        migrations.AddField(
            model_name="user",
            name="address",
            field=complaints.fields.EncryptedTextField(
                blank=True, context="user.address", max_length=300, verbose_name="联系地址"
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="id_number",
            field=complaints.fields.EncryptedTextField(
                blank=True, context="user.id_number", max_length=32, verbose_name="证件号码"
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="phone_hash",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=complaints.fields.EncryptedTextField(
                blank=True, context="user.phone", max_length=32, verbose_name="手机号"
            ),
        ),
    ]
