"""Encrypt the phone numbers stored before 0008 and fill in their lookup hashes.

The historical model's `phone` is already the encrypted field: it reads a plain value
as it is and writes it sealed, so saving each row encrypts it. Needs
PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY (docs/operations.md). Reversible:
backwards writes the plain numbers back with SQL, past the field.
"""

from django.db import migrations

from complaints.encryption import decrypt, is_encrypted, phone_lookup_hash

BATCH = 500


def encrypt_phones(apps, schema_editor):
    User = apps.get_model("complaints", "User")
    users = User.objects.using(schema_editor.connection.alias).exclude(phone="")
    for user in users.only("pk", "phone").iterator(chunk_size=BATCH):
        user.phone_hash = phone_lookup_hash(user.phone)
        user.save(update_fields=["phone", "phone_hash"])


def decrypt_phones(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, phone FROM complaints_user WHERE phone <> ''")
        rows = cursor.fetchall()
        for pk, stored in rows:
            if is_encrypted(stored):
                cursor.execute(
                    "UPDATE complaints_user SET phone = %s, phone_hash = '' WHERE id = %s",
                    [decrypt(stored, context="user.phone"), pk],
                )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0008_user_personal_data")]

    operations = [migrations.RunPython(encrypt_phones, decrypt_phones)]
